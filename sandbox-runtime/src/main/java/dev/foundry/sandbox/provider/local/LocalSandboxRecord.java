package dev.foundry.sandbox.provider.local;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.foundry.sandbox.client.SandboxAgentHttp;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

/**
 * What the local provider writes to {@code <root>/<id>/sandbox.json} so that a restarted backend
 * can find a sandbox again: the server's pid and kernel start time (to tell a live server from a
 * recycled pid), port, token, and directories. The file is {@code 0600}: it holds the token.
 *
 * <p>Field names are the stored format; renaming a component breaks existing sandboxes.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record LocalSandboxRecord(
    int version,
    String sandboxId,
    String binary,
    String token,
    int port,
    long pid,
    long pidStartTicks,
    String homeDir,
    String workDir,
    String dataDir,
    Map<String, String> env,
    boolean offlineAgent,
    boolean stopped,
    long createdAtMs) {

  public static final String FILE_NAME = "sandbox.json";

  public LocalSandboxRecord {
    env = env == null ? Map.of() : Map.copyOf(env);
  }

  LocalSandboxRecord running(int port, long pid, long pidStartTicks) {
    return new LocalSandboxRecord(
        version,
        sandboxId,
        binary,
        token,
        port,
        pid,
        pidStartTicks,
        homeDir,
        workDir,
        dataDir,
        env,
        offlineAgent,
        false,
        createdAtMs);
  }

  LocalSandboxRecord asStopped() {
    return new LocalSandboxRecord(
        version,
        sandboxId,
        binary,
        token,
        port,
        0,
        0,
        homeDir,
        workDir,
        dataDir,
        env,
        offlineAgent,
        true,
        createdAtMs);
  }

  LocalSandboxRecord withEnv(Map<String, String> env) {
    return new LocalSandboxRecord(
        version,
        sandboxId,
        binary,
        token,
        port,
        pid,
        pidStartTicks,
        homeDir,
        workDir,
        dataDir,
        env,
        offlineAgent,
        stopped,
        createdAtMs);
  }

  static Optional<LocalSandboxRecord> read(Path sandboxDir) {
    Path file = sandboxDir.resolve(FILE_NAME);
    if (!Files.isRegularFile(file)) {
      return Optional.empty();
    }
    try {
      return Optional.of(SandboxAgentHttp.JSON.readValue(file.toFile(), LocalSandboxRecord.class));
    } catch (IOException e) {
      throw new UncheckedIOException("unreadable sandbox record " + file, e);
    }
  }

  /** Write-then-rename, so a crash never leaves a half-written record. */
  void write(Path sandboxDir) {
    Path file = sandboxDir.resolve(FILE_NAME);
    Path tmp = sandboxDir.resolve(FILE_NAME + ".tmp");
    try {
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.write(
          tmp, SandboxAgentHttp.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this));
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write sandbox record " + file, e);
    }
  }

  @Override
  public String toString() {
    return "LocalSandboxRecord["
        + sandboxId
        + " port="
        + port
        + " pid="
        + pid
        + " stopped="
        + stopped
        + "]";
  }
}
