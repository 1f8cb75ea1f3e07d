package dev.foundry.backend.runtime.crash;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.foundry.backend.testing.ChildJvm;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The durability contract, proven with a real JVM: a child process receives a stream of
 * fire-and-forget commands over loopback and is killed with SIGKILL at random moments, again and
 * again, on the same data directory. Every acknowledged command must be applied exactly once and in
 * order; an unacknowledged one at most once.
 */
class CrashRecoveryTest {
  private static final int KILLS = 22;
  private static final int BATCHED_KILLS = 12;
  private static final int ACTORS = 3;

  @TempDir Path dir;

  @Test
  void everyAcknowledgedCommandSurvivesKillNineExactlyOnceAndInOrder() throws Exception {
    killRepeatedly(KILLS, seq -> "A");
  }

  /**
   * The same contract for batched commands (several in one journal write, staged in one SQLite
   * transaction), mixed with unbatched ones that must keep their place between them.
   */
  @Test
  void batchedCommandsSurviveKillNineExactlyOnceAndInOrder() throws Exception {
    killRepeatedly(BATCHED_KILLS, seq -> seq % 7 == 3 ? "A" : "B");
  }

  private void killRepeatedly(int kills, LongFunction<String> verb) throws Exception {
    Random random = new Random(7741);
    Set<Long> acked = ConcurrentHashMap.newKeySet();
    long seq = 0;
    int roundsWithAcks = 0;
    for (int round = 0; round < kills; round++) {
      try (ChildJvm node = startNode();
          Socket socket = connect(node)) {
        int before;
        Thread reader = readAcks(socket, acked);
        OutputStream out = socket.getOutputStream();
        // Warm up: the first command of a fresh JVM opens the journal's connections. Kill points
        // are random relative to the stream, which starts once the node acknowledges.
        long warmup = seq++;
        out.write(
            (verb.apply(warmup) + " " + (warmup % ACTORS) + " " + warmup + "\n")
                .getBytes(StandardCharsets.UTF_8));
        out.flush();
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(5))
            .untilAsserted(
                () ->
                    assertThat(acked)
                        .as("node acknowledges commands\n%s", node.output())
                        .contains(warmup));
        before = acked.size();
        long killAt = System.nanoTime() + Duration.ofMillis(100 + random.nextInt(600)).toNanos();
        while (System.nanoTime() < killAt) {
          StringBuilder batch = new StringBuilder();
          for (int i = 0; i < 20; i++, seq++) {
            batch.append(verb.apply(seq)).append(' ').append(seq % ACTORS).append(' ');
            batch.append(seq).append('\n');
          }
          out.write(batch.toString().getBytes(StandardCharsets.UTF_8));
          out.flush();
          Thread.sleep(random.nextInt(3));
        }
        node.kill();
        reader.join(5_000);
        if (acked.size() > before) {
          roundsWithAcks++;
        }
      }
    }
    assertThat(roundsWithAcks)
        .as("kills that happened while commands were acknowledged")
        .isGreaterThanOrEqualTo(kills / 2);

    Map<Integer, List<Long>> logs = new java.util.HashMap<>();
    try (ChildJvm node = startNode();
        Socket socket = connect(node)) {
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      OutputStream out = socket.getOutputStream();
      for (int actor = 0; actor < ACTORS; actor++) {
        out.write(("R " + actor + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        String line = in.readLine();
        assertThat(line).startsWith("LOG ");
        List<Long> log = new ArrayList<>();
        for (String s : line.substring(4).split(",")) {
          if (!s.isEmpty()) {
            log.add(Long.parseLong(s));
          }
        }
        logs.put(actor, log);
      }
    }

    Set<Long> applied = new HashSet<>();
    for (Map.Entry<Integer, List<Long>> e : logs.entrySet()) {
      List<Long> log = e.getValue();
      for (int i = 0; i < log.size(); i++) {
        long s = log.get(i);
        assertThat(s % ACTORS).as("command routed to its actor").isEqualTo((long) e.getKey());
        assertThat(applied.add(s)).as("seq %d applied once", s).isTrue();
        if (i > 0) {
          assertThat(s).as("applied in arrival order").isGreaterThan(log.get(i - 1));
        }
      }
    }
    assertThat(acked).isNotEmpty();
    Set<Long> lost = new HashSet<>(acked);
    lost.removeAll(applied);
    assertThat(lost).as("acknowledged but not applied").isEmpty();
    System.out.printf(
        "crash test: %d kills, %d commands sent, %d acknowledged, %d applied%n",
        kills, seq, acked.size(), applied.size());
  }

  private ChildJvm startNode() throws Exception {
    return ChildJvm.start(
        CrashTestNode.class.getName(), List.of(dir.resolve("data").toString()), Map.of(), dir);
  }

  private static Socket connect(ChildJvm node) throws Exception {
    String line = node.awaitLine(l -> l.startsWith("PORT "), Duration.ofSeconds(60));
    return new Socket(InetAddress.getLoopbackAddress(), Integer.parseInt(line.substring(5).trim()));
  }

  private static Thread readAcks(Socket socket, Set<Long> acked) {
    Thread t =
        new Thread(
            () -> {
              try {
                BufferedReader in =
                    new BufferedReader(
                        new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                String line;
                while ((line = in.readLine()) != null) {
                  if (line.startsWith("OK ")) {
                    acked.add(Long.parseLong(line.substring(3)));
                  }
                }
              } catch (Exception ignored) {
                // killed
              }
            },
            "acks");
    t.setDaemon(true);
    t.start();
    return t;
  }
}
