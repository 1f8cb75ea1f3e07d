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
 * The archive is kept under {@code target/cds}, named after the JDK and the jars' paths, sizes and
 * modification times: a later test JVM (the next test class, or the next {@code mvn verify}) maps a
 * finished one, and a rebuilt jar gets a new archive that replaces the old one of its class path.
 * CDS archives only classes from jars, and a child's class path must begin with the archived jars:
 * {@link ChildJvm} puts the class path's directories after them. If anything about the archive
 * fails, children start without one, exactly as before: it changes how fast a child starts, never
 * what it runs.
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
    String classPath = hash(jars);
    String name = classPath + "-" + hash(stamps(jars));
    Path list = DIR.resolve(name + ".classes");
    Path archive = DIR.resolve(name + ".jsa");
    State state = STATES.get(name);
    if (state == null && Files.isRegularFile(archive)) {
      state = State.READY;
    }
    if (state == null) {
      try {
        Files.createDirectories(DIR);
        // What an earlier build of the same class path left (a jar rebuilt since): about 90 MB.
        try (var old = Files.newDirectoryStream(DIR, classPath + "-*")) {
          for (Path file : old) {
            Files.deleteIfExists(file);
          }
        }
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

  /** A short hash of {@code text} and the JDK. */
  private static String hash(String text) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(System.getProperty("java.home").getBytes(StandardCharsets.UTF_8));
      digest.update(System.getProperty("java.vm.version").getBytes(StandardCharsets.UTF_8));
      digest.update(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest.digest(), 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("no SHA-256", e);
    }
  }

  /** Each jar's size and modification time: what makes an archive of the class path stale. */
  private static String stamps(String jars) {
    StringBuilder stamps = new StringBuilder();
    for (String jar : jars.split(java.io.File.pathSeparator)) {
      Path path = Path.of(jar);
      try {
        stamps.append(Files.size(path)).append('@').append(Files.getLastModifiedTime(path));
      } catch (IOException e) {
        stamps.append("absent");
      }
      stamps.append('\n');
    }
    return stamps.toString();
  }
}
