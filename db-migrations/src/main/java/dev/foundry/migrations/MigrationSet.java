package dev.foundry.migrations;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** The ordered migrations of one actor kind, read once from the classpath and then reused. */
public final class MigrationSet {
  private static final String ROOT = "db/migrations/";

  private final String kind;
  private final List<Migration> migrations;

  /** One migration: its file name and the statements it runs, in order. */
  public record Migration(int version, String name, List<String> statements) {}

  private MigrationSet(String kind, List<Migration> migrations) {
    this.kind = kind;
    this.migrations = List.copyOf(migrations);
  }

  /**
   * Loads the set of {@code kind} from the class loader.
   *
   * @throws IllegalArgumentException when the kind has no index or a listed file is missing
   */
  public static MigrationSet load(String kind, ClassLoader loader) {
    Objects.requireNonNull(kind, "kind");
    if (!kind.matches("[a-z][a-z0-9-]*")) {
      throw new IllegalArgumentException("invalid migration kind: " + kind);
    }
    String index = read(loader, ROOT + kind + "/index", kind);
    List<Migration> migrations = new ArrayList<>();
    for (String line : index.split("\n")) {
      String name = line.strip();
      if (name.isEmpty() || name.startsWith("#")) {
        continue;
      }
      String sql = read(loader, ROOT + kind + "/" + name, kind);
      migrations.add(new Migration(migrations.size() + 1, name, SqlScript.statements(sql)));
    }
    if (migrations.isEmpty()) {
      throw new IllegalArgumentException("migration index of kind '" + kind + "' lists no file");
    }
    return new MigrationSet(kind, migrations);
  }

  public static MigrationSet load(String kind) {
    return load(kind, MigrationSet.class.getClassLoader());
  }

  public String kind() {
    return kind;
  }

  public List<Migration> migrations() {
    return migrations;
  }

  /** The schema version a fully migrated file has. */
  public int latestVersion() {
    return migrations.size();
  }

  private static String read(ClassLoader loader, String path, String kind) {
    try (InputStream in = loader.getResourceAsStream(path)) {
      if (in == null) {
        throw new IllegalArgumentException(
            "no migrations for kind '" + kind + "': resource " + path + " not found");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + path, e);
    }
  }
}
