package dev.foundry.shared.realtime;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.foundry.shared.app.FoundryAppSnapshot;

/** {@code {type:"appUpdated", snapshot}}: one user's app snapshot, delivered to that user only. */
@JsonIgnoreProperties(value = "type", allowGetters = true)
public record AppUpdated(FoundryAppSnapshot snapshot) {
  public static final String TYPE = "appUpdated";

  @JsonProperty("type")
  public String type() {
    return TYPE;
  }
}
