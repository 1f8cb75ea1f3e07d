package dev.foundry.sandbox.agent;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The offline agent's shell tool: {@code sh -c} with stdout and stderr merged, output capped, ended
 * (with its children) when the turn is cancelled or after a minute.
 */
final class OfflineShell {

  static final int MAX_OUTPUT = 64 * 1024;
  private static final long LIMIT_MS = TimeUnit.MINUTES.toMillis(1);

  record Result(int exitCode, String output) {}

  private OfflineShell() {}

  static Result run(String command, Path cwd, BooleanSupplier cancelled)
      throws InterruptedException {
    Process process;
    try {
      process =
          new ProcessBuilder("sh", "-c", command)
              .directory(cwd.toFile())
              .redirectErrorStream(true)
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .start();
    } catch (IOException e) {
      return new Result(127, "could not start sh: " + e.getMessage());
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    Thread reader = new Thread(() -> copy(process.getInputStream(), output), "offline-agent-shell");
    reader.setDaemon(true);
    reader.start();
    long deadline = System.currentTimeMillis() + LIMIT_MS;
    while (!process.waitFor(100, TimeUnit.MILLISECONDS)) {
      if (cancelled.getAsBoolean() || System.currentTimeMillis() > deadline) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    }
    reader.join(TimeUnit.SECONDS.toMillis(5));
    String text;
    synchronized (output) {
      text = output.toString(StandardCharsets.UTF_8);
    }
    return new Result(process.exitValue(), text);
  }

  private static void copy(InputStream in, ByteArrayOutputStream out) {
    byte[] buffer = new byte[8192];
    try (in) {
      int n;
      while ((n = in.read(buffer)) >= 0) {
        synchronized (out) {
          // Past the cap the rest is read and dropped so the command never blocks on a full pipe.
          int room = MAX_OUTPUT - out.size();
          if (room > 0) {
            out.write(buffer, 0, Math.min(n, room));
          }
        }
      }
    } catch (IOException e) {
      // The process ended or was killed: what was read is the output.
    }
  }
}
