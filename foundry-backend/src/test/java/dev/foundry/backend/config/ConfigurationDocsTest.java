package dev.foundry.backend.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keeps {@code docs/configuration.md} and the {@code *.conf} files of the backend in step: every
 * setting and every {@code ${?ENV}} override in the files has a row in the page's tables, and every
 * row names a setting and variables that the files still have, with the files' default.
 *
 * <p>The files are read as text (not through Typesafe Config) because the question is what they
 * say, line by line: which setting each {@code ${?ENV}} overrides and what its embedded default is.
 * The reader understands the HOCON our files use (nested blocks, {@code key = value}, comments) and
 * fails loudly on anything else rather than skipping it.
 */
class ConfigurationDocsTest {
  /** Surefire runs in the module directory; the repository root is its parent. */
  private static final Path RESOURCES = Path.of("src/main/resources");

  private static final Path DOC = Path.of("..", "docs", "configuration.md");

  private static final Pattern ENV_OVERRIDE = Pattern.compile("\\$\\{\\?([A-Za-z_][A-Za-z0-9_]*)}");
  private static final String KEY = "(?:[A-Za-z0-9_.-]+|\"[^\"]+\")";
  private static final Pattern BLOCK_START = Pattern.compile("^(" + KEY + ")\\s*[=:]?\\s*\\{$");
  private static final Pattern ASSIGNMENT = Pattern.compile("^(" + KEY + ")\\s*[=:]\\s*(.+)$");
  private static final Pattern INCLUDE = Pattern.compile("^include\\s+\"[^\"]+\"$");
  private static final Pattern BACKTICKED = Pattern.compile("`([^`]+)`");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Z][A-Z0-9_]*");

  private static ConfFiles conf;
  private static List<DocRow> doc;

  @BeforeAll
  static void read() throws IOException {
    conf = ConfFiles.read(RESOURCES);
    doc = DocRow.read(DOC);
  }

  @Test
  void theConfReaderFindsTheSettingsTheServerIsKnownToRead() {
    // Guards the guard: a reader that found nothing would make every other test pass.
    assertThat(conf.settings.keySet())
        .contains("foundry.http.host", "foundry.http.port", "foundry.data-dir", "pekko.loglevel");
    assertThat(conf.overrides())
        .contains(
            new EnvOverride("foundry.http.host", "HOST"),
            new EnvOverride("foundry.http.port", "PORT"),
            new EnvOverride("foundry.data-dir", "FOUNDRY_DATA_DIR"),
            new EnvOverride("foundry.auth.secret", "BETTER_AUTH_SECRET"));
    assertThat(doc).as("setting rows in %s", DOC).hasSizeGreaterThan(10);
  }

  @Test
  void everyEnvironmentOverrideIsDocumentedOnTheRowOfTheSettingItSets() {
    List<String> missing = new ArrayList<>();
    for (EnvOverride o : conf.overrides()) {
      boolean documented =
          doc.stream().anyMatch(r -> r.path.equals(o.path) && r.envVars.contains(o.envVar));
      if (!documented) {
        missing.add(o.envVar + " -> " + o.path + " (" + conf.settings.get(o.path).file + ")");
      }
    }
    assertThat(missing)
        .as("environment variables read by the conf files but not documented in %s", DOC)
        .isEmpty();
  }

  @Test
  void everyFoundrySettingIsDocumented() {
    Set<String> documented = new TreeSet<>();
    doc.forEach(r -> documented.add(r.path));
    List<String> missing =
        conf.settings.keySet().stream()
            .filter(p -> p.startsWith("foundry."))
            .filter(p -> !documented.contains(p))
            .toList();
    assertThat(missing).as("foundry.* settings without a row in %s", DOC).isEmpty();
  }

  @Test
  void everyEnvironmentVariableInTheDocIsStillReadByTheConfFiles() {
    Set<String> read = new TreeSet<>();
    conf.overrides().forEach(o -> read.add(o.envVar));
    List<String> stale = new ArrayList<>();
    for (DocRow row : doc) {
      for (String env : row.envVars) {
        if (!conf.overrides().contains(new EnvOverride(row.path, env))) {
          stale.add(
              env
                  + " on the row of "
                  + row.path
                  + (read.contains(env)
                      ? " (it sets another setting)"
                      : " (no conf file reads it)"));
        }
      }
    }
    assertThat(stale).as("variables in %s that the conf files do not read there", DOC).isEmpty();
  }

  @Test
  void everySettingInTheDocStillExistsInTheConfFiles() {
    List<String> stale =
        doc.stream().map(r -> r.path).filter(p -> !conf.settings.containsKey(p)).toList();
    assertThat(stale).as("settings documented in %s that no conf file has", DOC).isEmpty();
  }

  @Test
  void documentedDefaultsAreTheDefaultsOfTheConfFiles() {
    List<String> wrong = new ArrayList<>();
    for (DocRow row : doc) {
      Setting setting = conf.settings.get(row.path);
      if (setting == null || setting.defaultValue == null) {
        continue;
      }
      if (!normalized(row.defaultValue).equals(normalized(setting.defaultValue))) {
        wrong.add(
            row.path
                + ": doc says "
                + row.defaultValue
                + ", "
                + setting.file
                + " says "
                + setting.defaultValue);
      }
    }
    assertThat(wrong).as("defaults in %s that differ from the conf files", DOC).isEmpty();
  }

  /** HOCON quotes are optional around most strings; compare what is left. */
  private static String normalized(String value) {
    return value.replace("\"", "").trim();
  }

  // --- the conf files ------------------------------------------------------------------------

  record EnvOverride(String path, String envVar) {}

  /** One setting: where it is, its embedded default (null when none) and its env overrides. */
  static final class Setting {
    final String file;
    String defaultValue;
    final Set<String> envVars = new LinkedHashSet<>();

    Setting(String file) {
      this.file = file;
    }
  }

  static final class ConfFiles {
    final Map<String, Setting> settings = new LinkedHashMap<>();

    static ConfFiles read(Path dir) throws IOException {
      ConfFiles files = new ConfFiles();
      List<Path> confs;
      try (Stream<Path> list = Files.list(dir)) {
        confs = list.filter(p -> p.toString().endsWith(".conf")).sorted().toList();
      }
      assertThat(confs).as("*.conf files in %s", dir.toAbsolutePath()).isNotEmpty();
      for (Path file : confs) {
        files.readFile(file);
      }
      return files;
    }

    Set<EnvOverride> overrides() {
      Set<EnvOverride> out = new LinkedHashSet<>();
      settings.forEach((path, s) -> s.envVars.forEach(env -> out.add(new EnvOverride(path, env))));
      return out;
    }

    private void readFile(Path file) {
      String name = file.getFileName().toString();
      Deque<String> blocks = new ArrayDeque<>();
      List<String> lines;
      try {
        lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      for (int i = 0; i < lines.size(); i++) {
        String where = name + ":" + (i + 1);
        String line = withoutComment(lines.get(i)).trim();
        if (line.isEmpty() || INCLUDE.matcher(line).matches()) {
          continue;
        }
        if (line.equals("}")) {
          if (blocks.isEmpty()) {
            throw new IllegalStateException(where + ": unbalanced '}'");
          }
          blocks.pop();
          continue;
        }
        Matcher block = BLOCK_START.matcher(line);
        if (block.matches()) {
          blocks.push(path(blocks, block.group(1)));
          continue;
        }
        Matcher assignment = ASSIGNMENT.matcher(line);
        if (!assignment.matches() || hasBrace(assignment.group(2))) {
          throw new IllegalStateException(
              where
                  + ": a HOCON form this test does not read: '"
                  + line
                  + "'; write it as the other settings are, or teach ConfigurationDocsTest");
        }
        String path = path(blocks, assignment.group(1));
        String value = assignment.group(2).trim();
        Setting setting = settings.computeIfAbsent(path, p -> new Setting(name));
        Matcher env = ENV_OVERRIDE.matcher(value);
        if (env.matches()) {
          setting.envVars.add(env.group(1));
        } else if (ENV_OVERRIDE.matcher(value).find()) {
          throw new IllegalStateException(
              where + ": ${?ENV} mixed with other text; give the override a line of its own");
        } else if (setting.defaultValue == null) {
          setting.defaultValue = value;
        }
      }
      if (!blocks.isEmpty()) {
        throw new IllegalStateException(name + ": unclosed block " + blocks.peek());
      }
    }

    private static String path(Deque<String> blocks, String key) {
      return blocks.isEmpty() ? key : blocks.peek() + "." + key;
    }

    /** A brace outside quotes and outside a {@code ${...}} substitution. */
    private static boolean hasBrace(String value) {
      String outside = value.replaceAll("\"[^\"]*\"", "").replaceAll("\\$\\{[^}]*}", "");
      return outside.contains("{") || outside.contains("}");
    }

    /** Drops a {@code #} or {@code //} comment, leaving quoted text alone. */
    private static String withoutComment(String line) {
      boolean quoted = false;
      for (int i = 0; i < line.length(); i++) {
        char c = line.charAt(i);
        if (c == '"') {
          quoted = !quoted;
        } else if (!quoted
            && (c == '#' || (c == '/' && i + 1 < line.length() && line.charAt(i + 1) == '/'))) {
          return line.substring(0, i);
        }
      }
      return line;
    }
  }

  // --- the page ------------------------------------------------------------------------------

  /**
   * One row of a settings table in the page: a table whose header has the columns {@code HOCON
   * path}, {@code Environment variable} and {@code Default}. Cells hold their values in backticks;
   * the environment cell may name several variables or none ({@code —}).
   */
  record DocRow(String path, Set<String> envVars, String defaultValue) {

    static List<DocRow> read(Path file) throws IOException {
      assertThat(file).as("the configuration page").exists();
      List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
      List<DocRow> rows = new ArrayList<>();
      int pathColumn = -1;
      int envColumn = -1;
      int defaultColumn = -1;
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).trim();
        if (!line.startsWith("|")) {
          pathColumn = -1;
          continue;
        }
        List<String> cells = cells(line);
        if (pathColumn < 0) {
          // A header row: a settings table is recognised by its column names.
          pathColumn = indexOf(cells, "HOCON path");
          envColumn = indexOf(cells, "Environment variable");
          defaultColumn = indexOf(cells, "Default");
          if (pathColumn >= 0 && (envColumn < 0 || defaultColumn < 0)) {
            throw new IllegalStateException(
                file + ":" + (i + 1) + ": a settings table needs Environment variable and Default");
          }
          if (pathColumn < 0) {
            pathColumn = Integer.MIN_VALUE; // some other table: skip its rows
          }
          continue;
        }
        if (pathColumn == Integer.MIN_VALUE || line.matches("\\|[\\s|:-]+\\|")) {
          continue;
        }
        String where = file + ":" + (i + 1);
        List<String> paths = backticked(cells.get(pathColumn));
        if (paths.size() != 1) {
          throw new IllegalStateException(where + ": the path cell holds one `setting.path`");
        }
        Set<String> envs = new LinkedHashSet<>();
        for (String env : backticked(cells.get(envColumn))) {
          if (!ENV_NAME.matcher(env).matches()) {
            throw new IllegalStateException(where + ": '" + env + "' is not a variable name");
          }
          envs.add(env);
        }
        List<String> defaults = backticked(cells.get(defaultColumn));
        if (defaults.isEmpty()) {
          throw new IllegalStateException(where + ": the default cell holds `the default`");
        }
        rows.add(new DocRow(paths.get(0), envs, defaults.get(0)));
      }
      return rows;
    }

    private static List<String> cells(String row) {
      String inner = row.substring(1, row.endsWith("|") ? row.length() - 1 : row.length());
      List<String> out = new ArrayList<>();
      for (String cell : inner.split("(?<!\\\\)\\|", -1)) {
        out.add(cell.trim());
      }
      return out;
    }

    private static int indexOf(List<String> cells, String name) {
      for (int i = 0; i < cells.size(); i++) {
        if (cells.get(i).equalsIgnoreCase(name)) {
          return i;
        }
      }
      return -1;
    }

    private static List<String> backticked(String cell) {
      List<String> out = new ArrayList<>();
      Matcher m = BACKTICKED.matcher(cell);
      while (m.find()) {
        out.add(m.group(1));
      }
      return out;
    }
  }
}
