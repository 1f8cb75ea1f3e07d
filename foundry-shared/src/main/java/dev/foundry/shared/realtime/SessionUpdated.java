package dev.foundry.shared.realtime;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.foundry.shared.workspace.WorkspaceSessionDetail;

/** {@code {type:"sessionUpdated", session}}: one session's full detail, built without a user. */
@JsonIgnoreProperties(value = "type", allowGetters = true)
public record SessionUpdated(WorkspaceSessionDetail session) {
  public static final String TYPE = "sessionUpdated";

  @JsonProperty("type")
  public String type() {
    return TYPE;
  }
}
