package dev.foundry.backend.testing;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The git CLI for tests: remotes to clone from and commits made outside any sandbox. */
public final class Git {
  private Git() {}

  /** Runs git in {@code dir}; its output, or an exception with it when git fails. */
  public static String git(Path dir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("git"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("git " + List.of(args) + " failed: " + out);
    }
    return out.strip();
  }

  public static void commitAll(Path dir, String message) throws Exception {
    git(dir, "add", "-A");
    git(dir, "-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-m", message);
  }

  /** A bare repository {@code <dir>/remote.git} whose {@code main} has one commit (a README). */
  public static Path seedRemote(Path dir) throws Exception {
    Path bare = dir.resolve("remote.git");
    Path seed = dir.resolve("seed");
    git(dir, "init", "--bare", "-b", "main", bare.toString());
    git(dir, "init", "-b", "main", seed.toString());
    Files.writeString(seed.resolve("README.md"), "# demo\n");
    commitAll(seed, "seed");
    git(seed, "push", bare.toUri().toString(), "main");
    return bare;
  }
}
