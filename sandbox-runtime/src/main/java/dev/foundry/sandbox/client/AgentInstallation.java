package dev.foundry.sandbox.client;

import com.fasterxml.jackson.annotation.JsonAlias;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The answer to {@code POST /v1/agents/{agent}/install}. The HTTP API uses snake_case here while
 * the CLI prints camelCase; both are accepted.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record AgentInstallation(
    @JsonProperty("already_installed") @JsonAlias("alreadyInstalled") boolean alreadyInstalled,
    List<Artifact> artifacts) {

  public AgentInstallation {
    artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
  }

  /** An installed file; for an ACP agent process {@code path} is the launcher the server runs. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Artifact(String kind, String path, String source, String version) {}
}
