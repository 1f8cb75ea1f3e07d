package dev.foundry.sandbox.client;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * An RFC 7807 problem document as sandbox-agent returns it ({@code
 * type=urn:sandbox-agent:error:<errorType>}). {@code details}, {@code agent} and {@code sessionId}
 * are present only for some error types.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SandboxAgentProblem(
    String type,
    String title,
    int status,
    String detail,
    JsonNode details,
    String agent,
    String sessionId) {

  private static final String TYPE_PREFIX = "urn:sandbox-agent:error:";

  /** The short error type, e.g. {@code not_found}, or the whole {@code type} if it is foreign. */
  public String errorType() {
    if (type == null) {
      return "";
    }
    return type.startsWith(TYPE_PREFIX) ? type.substring(TYPE_PREFIX.length()) : type;
  }

  /** A problem for a response that was not problem+json (axum rejections are text/plain). */
  static SandboxAgentProblem plain(int status, String text) {
    return new SandboxAgentProblem(null, null, status, text, null, null, null);
  }
}
