package dev.foundry.sandbox.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.foundry.sandbox.client.SandboxAgentClient;
import dev.foundry.sandbox.client.SandboxAgentHttp;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.provider.SandboxSpec;
import dev.foundry.sandbox.provider.local.LocalSandboxProvider;
import dev.foundry.sandbox.provider.local.LocalSandboxSettings;
import dev.foundry.sandbox.session.AgentSession;
import dev.foundry.sandbox.session.AgentSessionOptions;
import dev.foundry.sandbox.session.SessionUpdate;
import dev.foundry.sandbox.session.TurnResult;
import dev.foundry.sandbox.support.SandboxAgentBinary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code scripts/bench sandbox}: the real sandbox-agent on loopback with the offline agent.
 * Measures sandbox start (process spawn to healthy, plus the offline agent install), session create
 * (initialize, which starts the agent's JVM, plus session/new), prompt round trip, and the rate of
 * SSE events a turn can stream. Progress on stderr, one JSON object on the last stdout line.
 */
public final class SandboxBenchmark {

  private static final int STARTS = 5;
  private static final int SESSIONS = 5;
  private static final int PROMPTS = 200;
  private static final int BURST = 20_000;

  public static void main(String[] args) throws Exception {
    Path root = Files.createTempDirectory("foundry-bench-");
    ExecutorService executor =
        Executors.newCachedThreadPool(SandboxAgentClient.daemonThreads("bench"));
    LocalSandboxProvider provider =
        new LocalSandboxProvider(
            LocalSandboxSettings.of(root, SandboxAgentBinary.path(), executor));
    ObjectNode out = SandboxAgentHttp.JSON.createObjectNode();
    out.put("suite", "sandbox");
    try {
      List<Double> starts = new ArrayList<>();
      List<Double> startsWithAgent = new ArrayList<>();
      for (int i = 0; i < STARTS; i++) {
        starts.add(timeCreate(provider, "bench-plain-" + i, false));
        startsWithAgent.add(timeCreate(provider, "bench-agent-" + i, true));
        provider.destroy("bench-plain-" + i).join();
        provider.destroy("bench-agent-" + i).join();
      }
      log("sandbox start ms: %s, with offline agent install: %s", starts, startsWithAgent);
      out.set("sandboxStartMs", stats(starts));
      out.set("sandboxStartWithOfflineAgentMs", stats(startsWithAgent));

      Sandbox sandbox = provider.create(SandboxSpec.of("bench")).get(60, TimeUnit.SECONDS);
      AgentSessionOptions options = AgentSessionOptions.of("mock", sandbox.workDir());
      List<Double> creates = new ArrayList<>();
      for (int i = 0; i < SESSIONS; i++) {
        long t0 = System.nanoTime();
        AgentSession s = AgentSession.open(sandbox.client(), options).get(60, TimeUnit.SECONDS);
        creates.add(millisSince(t0));
        s.close();
      }
      log("session create ms: %s", creates);
      out.set("sessionCreateMs", stats(creates));

      try (AgentSession session =
          AgentSession.open(sandbox.client(), options).get(60, TimeUnit.SECONDS)) {
        for (int i = 0; i < 20; i++) {
          session.prompt("warm up " + i).result().get(30, TimeUnit.SECONDS);
        }
        List<Double> rounds = new ArrayList<>();
        for (int i = 0; i < PROMPTS; i++) {
          long t0 = System.nanoTime();
          session.prompt("ping " + i).result().get(30, TimeUnit.SECONDS);
          rounds.add(millisSince(t0));
        }
        log("prompt round trip ms: median %.2f", percentile(rounds, 50));
        out.set("promptRoundTripMs", stats(rounds));

        AtomicLong chunks = new AtomicLong();
        long t0 = System.nanoTime();
        TurnResult burst =
            session
                .prompt(
                    "/burst " + BURST,
                    u -> {
                      if (u instanceof SessionUpdate.AgentMessageChunk) {
                        chunks.incrementAndGet();
                      }
                    })
                .result()
                .get(120, TimeUnit.SECONDS);
        double seconds = (System.nanoTime() - t0) / 1e9;
        log("burst: %d events in %.3f s (%s)", chunks.get(), seconds, burst.stopReason());
        out.put("sseEvents", chunks.get());
        out.put("sseEventsPerSecond", Math.round(chunks.get() / seconds));
      }
      sandbox.close();
      provider.destroy("bench").join();
    } finally {
      for (var s : provider.list().join()) {
        provider.destroy(s.sandboxId()).join();
      }
      executor.shutdownNow();
      try (var walk = Files.walk(root)) {
        walk.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
    System.out.println(SandboxAgentHttp.JSON.writeValueAsString(out));
    System.exit(0);
  }

  private static double timeCreate(LocalSandboxProvider provider, String id, boolean agent)
      throws Exception {
    long t0 = System.nanoTime();
    Sandbox s =
        provider.create(SandboxSpec.of(id).withOfflineAgent(agent)).get(60, TimeUnit.SECONDS);
    double ms = millisSince(t0);
    s.close();
    return ms;
  }

  private static ObjectNode stats(List<Double> values) {
    ObjectNode n = SandboxAgentHttp.JSON.createObjectNode();
    n.put("n", values.size());
    n.put("median", round(percentile(values, 50)));
    n.put("p90", round(percentile(values, 90)));
    n.put("min", round(Collections.min(values)));
    n.put("max", round(Collections.max(values)));
    return n;
  }

  private static double percentile(List<Double> values, int p) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(index, sorted.size() - 1)));
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static double millisSince(long t0) {
    return (System.nanoTime() - t0) / 1e6;
  }

  private static void log(String format, Object... args) {
    System.err.println("[bench sandbox] " + String.format(format, args));
  }
}
