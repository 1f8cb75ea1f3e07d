package dev.foundry.shared.realtime;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.foundry.shared.workspace.OrganizationSummarySnapshot;

/** {@code {type:"organizationUpdated", snapshot}}: an organization's full summary. */
@JsonIgnoreProperties(value = "type", allowGetters = true)
public record OrganizationUpdated(OrganizationSummarySnapshot snapshot) {
  public static final String TYPE = "organizationUpdated";

  @JsonProperty("type")
  public String type() {
    return TYPE;
  }
}
