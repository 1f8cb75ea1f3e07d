package dev.foundry.sandbox.acp;

import com.fasterxml.jackson.databind.JsonNode;
import dev.foundry.sandbox.client.SandboxAgentHttp;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Ends an ACP agent instance on sandbox-agent 0.4.2. Its {@code DELETE /v1/acp/{id}} unregisters
 * the instance at once but answers only once the agent is gone, and the agent goes only when the
 * client gives up the request: so the request is given up (cancelled) as soon as {@code GET
 * /v1/acp} no longer lists the instance, or after {@code wait}, whichever comes first. Used when a
 * session closes and when a reattaching backend ends the agents a dead one left behind.
 */
public final class AcpInstanceEnd {
  private static final long POLL_MILLIS = 20;

  private AcpInstanceEnd() {}

  /**
   * Sends the DELETE; the result completes with the (rare) answer, a cancellation once the instance
   * is unlisted, or a {@link dev.foundry.sandbox.client.SandboxAgentTimeoutException} after {@code
   * wait}.
   */
  public static CompletableFuture<HttpResponse<byte[]>> delete(
      SandboxAgentHttp http, String serverId, Duration wait) {
    CompletableFuture<HttpResponse<byte[]>> deleting =
        http.send(
            "end ACP " + serverId,
            http.request("/v1/acp/" + serverId).timeout(wait).DELETE().build());
    abortWhenUnregistered(http, serverId, deleting, System.nanoTime() + wait.toNanos());
    return deleting;
  }

  private static void abortWhenUnregistered(
      SandboxAgentHttp http,
      String serverId,
      CompletableFuture<HttpResponse<byte[]>> deleting,
      long deadlineNanos) {
    if (deleting.isDone() || System.nanoTime() > deadlineNanos) {
      return;
    }
    CompletableFuture.delayedExecutor(POLL_MILLIS, TimeUnit.MILLISECONDS, http.executor())
        .execute(
            () ->
                http.sendForJson(
                        "list ACP servers",
                        http.request("/v1/acp").timeout(Duration.ofSeconds(1)).GET().build())
                    .whenComplete(
                        (list, failure) -> {
                          boolean listed = failure != null;
                          if (list != null) {
                            for (JsonNode server : list.path("servers")) {
                              if (serverId.equals(server.path("serverId").asText())) {
                                listed = true;
                              }
                            }
                          }
                          if (listed) {
                            abortWhenUnregistered(http, serverId, deleting, deadlineNanos);
                          } else {
                            deleting.cancel(true);
                          }
                        }));
  }
}
