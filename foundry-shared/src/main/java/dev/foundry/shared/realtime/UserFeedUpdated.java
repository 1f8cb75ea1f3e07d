package dev.foundry.shared.realtime;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.foundry.shared.inbox.UserInbox;

/** {@code {type:"userFeedUpdated", inbox}}: one user's inbox, delivered to that user only. */
@JsonIgnoreProperties(value = "type", allowGetters = true)
public record UserFeedUpdated(UserInbox inbox) {
  public static final String TYPE = "userFeedUpdated";

  @JsonProperty("type")
  public String type() {
    return TYPE;
  }
}
