package dev.foundry.backend.http.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.foundry.backend.http.Browser;
import java.time.Duration;

/** A look into a sandbox from an agent's side: the offline agent's shell tool, over the API. */
final class AgentShell {

  private AgentShell() {}

  /**
   * Sends {@code /run command} to the offline agent and returns what its shell tool printed: the
   * command runs as the agent's tool call, in the agent's own process environment.
   */
  static String run(Browser user, String task, String sessionId, String command) {
    String marker = "AGENT-DONE-" + System.nanoTime();
    String text = "/run " + command + "; echo " + marker;
    Browser.Answer sent =
        user.post(
            task + "/sessions/" + sessionId + "/messages",
            "{\"text\":" + TextNode.valueOf(text) + "}");
    assertThat(sent.status()).as("%s", sent).isEqualTo(202);
    String[] out = new String[1];
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () -> {
              for (JsonNode e :
                  user.get(task + "/sessions/" + sessionId).json().path("transcript")) {
                JsonNode p = e.path("payload");
                if ("tool_call_update".equals(p.path("sessionUpdate").asText())) {
                  StringBuilder b = new StringBuilder();
                  p.path("content").findValues("text").forEach(t -> b.append(t.asText()));
                  if (b.indexOf(marker) >= 0) {
                    out[0] = b.toString();
                    return true;
                  }
                }
              }
              return false;
            });
    return out[0].substring(0, out[0].indexOf(marker));
  }
}
