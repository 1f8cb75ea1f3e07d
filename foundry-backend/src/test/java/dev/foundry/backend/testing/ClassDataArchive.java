package dev.foundry.backend.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Class-data sharing (CDS) for the child JVMs that tests start again and again: the crash test, the
 * kill campaign and the cluster nodes start one 20 to 40 times each, and most of a start is loading
 * classes (the production jar: about 3.5 s without an archive, 1.8 s with one, on 2 cores).
 *
 * <p>The first child of a class path writes the list of classes it loads; a later start dumps an
 * archive of them ({@code -Xshare:dump}, a few seconds, once) and every child from then on maps it.
 * The archive is kept under {@code target/cds}, named after the JDK and the jars (path, size,
 * modification time), so the integration tests reuse what the unit tests built only when nothing
 * changed. CDS archives only classes from jars, and a child's class path must begin with the
 * archived jars: {@link ChildJvm} puts the class path's directories after them. If anything about
 * the archive fails, children start without one, exactly as before: it changes how fast a child
 * starts, never what it runs.
 */
final class ClassDataArchive {
  private static final Path DIR = Path.of("target", "cds");
  private static final int ENOUGH_CLASSES = 500;
  private static final Map<String, State> STATES = new HashMap<>();

  private enum State {
    LISTING,
    READY,
    FAILED
  }

  private ClassDataArchive() {}

  /** The JVM options for a child whose class path begins with {@code jars} (':'-separated). */
  static synchronized List<String> options(String jars) {
    if (jars.isEmpty()) {
      return List.of();
    }
    String name = name(jars);
    Path list = DIR.resolve(name + ".classes");
    Path archive = DIR.resolve(name + ".jsa");
    State state = STATES.get(name);
    if (state == null && Files.isRegularFile(archive)) {
      state = State.READY;
    }
    if (state == null) {
      try {
        Files.createDirectories(DIR);
        Files.deleteIfExists(list);
      } catch (IOException e) {
        STATES.put(name, State.FAILED);
        return List.of();
      }
      STATES.put(name, State.LISTING);
      return List.of("-XX:DumpLoadedClassList=" + list.toAbsolutePath());
    }
    if (state == State.LISTING) {
      state = dump(jars, list, archive);
      if (state == State.LISTING) {
        return List.of(); // the first child has not listed enough yet: ask again next start
      }
    }
    STATES.put(name, state);
    return state == State.READY
        ? List.of("-XX:SharedArchiveFile=" + archive.toAbsolutePath())
        : List.of();
  }

  /** Dumps the archive from the complete lines of the list the first child wrote. */
  private static State dump(String jars, Path list, Path archive) {
    try {
      if (!Files.isRegularFile(list)) {
        return State.LISTING;
      }
      // A child killed with SIGKILL may have left its last line half written.
      String text = Files.readString(list, StandardCharsets.UTF_8);
      String complete = text.substring(0, text.lastIndexOf('\n') + 1);
      if (complete.lines().count() < ENOUGH_CLASSES) {
        return State.LISTING;
      }
      Path classes = Files.writeString(list.resolveSibling(list.getFileName() + ".lst"), complete);
      Path log = archive.resolveSibling(archive.getFileName() + ".log");
      Path partial = archive.resolveSibling(archive.getFileName() + ".partial");
      Process dump =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-Xshare:dump",
                  "-XX:SharedClassListFile=" + classes.toAbsolutePath(),
                  "-XX:SharedArchiveFile=" + partial.toAbsolutePath(),
                  "-cp",
                  jars)
              .redirectErrorStream(true)
              .redirectOutput(log.toFile())
              .start();
      if (!dump.waitFor(120, TimeUnit.SECONDS)) {
        dump.destroyForcibly();
        return State.FAILED;
      }
      if (dump.exitValue() != 0 || !Files.isRegularFile(partial)) {
        return State.FAILED;
      }
      // Renamed only when whole: a later test JVM takes an archive it finds as finished.
      Files.move(partial, archive, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      return State.READY;
    } catch (IOException e) {
      return State.FAILED;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return State.FAILED;
    }
  }

  /** The archive's name: the JDK and every jar with its size and modification time. */
  private static String name(String jars) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(System.getProperty("java.home").getBytes(StandardCharsets.UTF_8));
      digest.update(System.getProperty("java.vm.version").getBytes(StandardCharsets.UTF_8));
      for (String jar : jars.split(java.io.File.pathSeparator)) {
        Path path = Path.of(jar);
        String stamp =
            Files.isRegularFile(path)
                ? Files.size(path) + "@" + Files.getLastModifiedTime(path).toMillis()
                : "absent";
        digest.update((jar + "|" + stamp + "\n").getBytes(StandardCharsets.UTF_8));
      }
      return HexFormat.of().formatHex(digest.digest(), 0, 12);
    } catch (NoSuchAlgorithmException | IOException e) {
      throw new IllegalStateException("cannot name the class-data archive of " + jars, e);
    }
  }
}
