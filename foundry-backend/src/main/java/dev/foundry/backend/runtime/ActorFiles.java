package dev.foundry.backend.runtime;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Where an actor's SQLite file lives: {@code <data>/actors/<kind>/<xx>/<name>.db}, and its latest
 * backup: {@code <data>/backups/<kind>/<xx>/<name>.db} (see {@link ActorBackups}).
 *
 * <p>{@code <name>} is the canonical key percent-encoded down to {@code [A-Za-z0-9_-]}, which is
 * injective (no two keys share a file) and cannot express {@code ..} or a separator (no traversal).
 * Names too long for a file system become a SHA-256 with a readable prefix. {@code <xx>} is the
 * first byte of the key's SHA-256, so no directory holds millions of files.
 */
public final class ActorFiles {
  private static final int MAX_NAME = 160;

  private final Path root;
  private final Path backups;

  public ActorFiles(Path dataDir) {
    this.root = dataDir.resolve("actors");
    this.backups = dataDir.resolve("backups");
  }

  public Path databaseFile(String kind, ActorKey key) {
    return root.resolve(relative(kind, key));
  }

  /** The latest whole-file backup of the actor, beside the journal in the data directory. */
  public Path backupFile(String kind, ActorKey key) {
    return backups.resolve(relative(kind, key));
  }

  private static Path relative(String kind, ActorKey key) {
    ActorKind.requireValidName(kind);
    String canonical = key.canonical();
    byte[] digest = sha256(canonical);
    String name = encode(canonical);
    if (name.length() > MAX_NAME) {
      name = name.substring(0, 64) + "~" + HexFormat.of().formatHex(digest);
    }
    String shard = HexFormat.of().formatHex(digest, 0, 1);
    return Path.of(kind, shard, name + ".db");
  }

  static String encode(String canonical) {
    StringBuilder b = new StringBuilder(canonical.length() + 8);
    for (byte raw : canonical.getBytes(StandardCharsets.UTF_8)) {
      int c = raw & 0xff;
      boolean plain =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '_';
      if (plain) {
        b.append((char) c);
      } else {
        // '.' is escaped too, so "." and ".." can never be produced.
        b.append('.').append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
      }
    }
    return b.toString();
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JVM", e);
    }
  }
}
