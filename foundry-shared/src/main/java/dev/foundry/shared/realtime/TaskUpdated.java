package dev.foundry.shared.realtime;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.foundry.shared.workspace.WorkspaceTaskDetail;

/**
 * {@code {type:"taskUpdated", detail}}: a task's full detail, built without a user (per-user fields
 * are defaults; a client re-reads its own view).
 */
@JsonIgnoreProperties(value = "type", allowGetters = true)
public record TaskUpdated(WorkspaceTaskDetail detail) {
  public static final String TYPE = "taskUpdated";

  @JsonProperty("type")
  public String type() {
    return TYPE;
  }
}
