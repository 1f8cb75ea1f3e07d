package dev.foundry.sandbox.client;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * Where a sandbox-agent server listens and the bearer token it wants. {@code token} is null for a
 * server started with {@code --no-token}.
 */
public record SandboxAgentEndpoint(URI baseUri, String token) {

  public SandboxAgentEndpoint {
    Objects.requireNonNull(baseUri, "baseUri");
    String s = baseUri.toString();
    if (s.endsWith("/")) {
      baseUri = URI.create(s.substring(0, s.length() - 1));
    }
  }

  public static SandboxAgentEndpoint of(String baseUri, String token) {
    return new SandboxAgentEndpoint(URI.create(baseUri), token);
  }

  public Optional<String> bearerToken() {
    return Optional.ofNullable(token);
  }

  /** Never print the token: endpoints end up in logs. */
  @Override
  public String toString() {
    return "SandboxAgentEndpoint[" + baseUri + (token == null ? ", no token]" : ", token=***]");
  }
}
