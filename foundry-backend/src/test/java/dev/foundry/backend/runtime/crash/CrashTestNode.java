package dev.foundry.backend.runtime.crash;

import com.typesafe.config.Config;
import dev.foundry.backend.persistence.JournalDatabase;
import dev.foundry.backend.runtime.ActorKey;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.runtime.RealtimeHub;
import dev.foundry.backend.runtime.RuntimeFixture;
import dev.foundry.backend.runtime.RuntimeSettings;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The process the crash test kills: a runtime on a data directory and a line protocol on loopback.
 * {@code A <actor> <seq>} sends a fire-and-forget {@code Append} ({@code B}: an {@code
 * AppendBatched}, which a batch handler decides); the node writes {@code OK <seq>} once the runtime
 * acknowledged it (persisted). {@code R <actor>} answers {@code LOG <seqs...>}.
 */
public final class CrashTestNode {
  public static void main(String[] args) throws Exception {
    Path dataDir = Path.of(args[0]);
    Config config = RuntimeFixture.config(dataDir, Duration.ofMinutes(5), 50);
    JournalDatabase.prepare(config);
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "crash", config);
    DurableRuntime runtime =
        DurableRuntime.start(
            system,
            new RuntimeSettings(dataDir, Duration.ofMinutes(5), Duration.ofSeconds(20), 50),
            new RealtimeHub(),
            List.of(CrashLog.KIND));
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      System.out.println("PORT " + server.getLocalPort());
      System.out.flush();
      while (true) {
        Socket socket = server.accept();
        Thread t = new Thread(() -> serve(runtime, socket), "crash-node-conn");
        t.start();
      }
    }
  }

  private static void serve(DurableRuntime runtime, Socket socket) {
    try (socket;
        BufferedReader in =
            new BufferedReader(
                new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
        BufferedWriter out =
            new BufferedWriter(
                new OutputStreamWriter(socket.getOutputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        String[] parts = line.split(" ");
        var ref = runtime.getOrCreate(CrashLog.KIND.type(), ActorKey.of("log", parts[1]));
        if (parts[0].equals("A") || parts[0].equals("B")) {
          long seq = Long.parseLong(parts[2]);
          CrashLog.Command command =
              parts[0].equals("A") ? new CrashLog.Append(seq) : new CrashLog.AppendBatched(seq);
          ref.tell(command)
              .whenComplete(
                  (id, failure) -> {
                    if (failure == null) {
                      write(out, "OK " + seq);
                    }
                  });
        } else if (parts[0].equals("R")) {
          List<Long> log = ref.query(new CrashLog.ReadLog()).toCompletableFuture().get();
          write(out, "LOG " + log.stream().map(String::valueOf).collect(Collectors.joining(",")));
        }
      }
    } catch (Exception e) {
      // the test closed the connection or killed us
    }
  }

  private static void write(BufferedWriter out, String line) {
    synchronized (out) {
      try {
        out.write(line);
        out.write('\n');
        out.flush();
      } catch (Exception ignored) {
        // connection gone
      }
    }
  }
}
