package dev.foundry.backend.testing;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real second JVM running one of our main classes on the test classpath: the way tests prove what
 * happens on SIGTERM, {@code kill -9} and a bad configuration. Its output is captured line by line
 * so a test can wait for a line and show everything when it fails. Children share one class-data
 * archive per class path ({@link ClassDataArchive}), which halves how long each takes to start.
 */
public final class ChildJvm implements AutoCloseable {
  private final Process process;
  private final List<String> lines = new CopyOnWriteArrayList<>();

  private ChildJvm(Process process) {
    this.process = process;
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                  lines.add(line);
                }
              } catch (IOException ignored) {
                // the process ended
              }
            },
            "child-jvm-output");
    reader.setDaemon(true);
    reader.start();
  }

  public static ChildJvm start(
      String mainClass, List<String> args, Map<String, String> env, Path workDir)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    // The jars first: class-data sharing archives only those, and they must begin the class path.
    List<String> jars = new ArrayList<>();
    List<String> directories = new ArrayList<>();
    for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
      (entry.endsWith(".jar") ? jars : directories).add(entry);
    }
    String archived = String.join(File.pathSeparator, jars);
    command.addAll(ClassDataArchive.options(archived));
    command.add("-cp");
    jars.addAll(directories);
    command.add(String.join(File.pathSeparator, jars));
    command.add(mainClass);
    command.addAll(args);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.directory(workDir.toFile());
    builder.environment().putAll(env);
    return new ChildJvm(builder.start());
  }

  /**
   * The production jar ({@code java -jar}) as an operator starts it: the shaded artifact, not the
   * test class path. Same JVM options as {@link #start}, sized for a test machine.
   */
  public static ChildJvm startJar(Path jar, Map<String, String> env, Path workDir)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx256m");
    command.add("-XX:+UseSerialGC");
    command.add("-XX:TieredStopAtLevel=1");
    command.addAll(ClassDataArchive.options(jar.toAbsolutePath().toString()));
    command.add("-jar");
    command.add(jar.toAbsolutePath().toString());
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.directory(workDir.toFile());
    builder.environment().putAll(env);
    return new ChildJvm(builder.start());
  }

  /** Waits for an output line matching {@code match}; fails with the whole output otherwise. */
  public String awaitLine(Predicate<String> match, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    int seen = 0;
    while (System.nanoTime() < deadline) {
      for (; seen < lines.size(); seen++) {
        if (match.test(lines.get(seen))) {
          return lines.get(seen);
        }
      }
      if (!process.isAlive() && seen >= lines.size()) {
        Thread.sleep(50); // let the reader drain the last lines
        if (seen >= lines.size()) {
          throw new AssertionError("child exited (" + process.exitValue() + ")\n" + output());
        }
      }
      Thread.sleep(10);
    }
    throw new AssertionError("no matching line within " + timeout + "\n" + output());
  }

  public String output() {
    return String.join("\n", lines);
  }

  public List<String> lines() {
    return List.copyOf(lines);
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** SIGTERM, as an orchestrator stops a container. */
  public void terminate() {
    process.destroy();
  }

  /** SIGKILL: no shutdown hook, no flush, the crash the durability contract is about. */
  public void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** The exit code, or null when the process is still running after {@code timeout}. */
  public Integer waitForExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : null;
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
