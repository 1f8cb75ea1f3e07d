package dev.foundry.backend.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL server from Debian's {@code postgresql} package ({@code
 * /usr/lib/postgresql/<version>/bin}), started for a test in a temporary directory on a free
 * loopback port, with a password-protected user, and removed again by {@link #close}.
 *
 * <p>{@code initdb} and {@code postgres} refuse to run as root, and CI runs the tests as root: then
 * they run as the {@code postgres} system user the package creates ({@code runuser -u postgres
 * --}), in a directory owned by it. The server runs with {@code fsync=off}: a test never loses
 * power, and it shortens every commit.
 */
public final class PostgresServer implements AutoCloseable {
  public static final String USER = "foundry";

  private final Path bin;
  private final Path dir;
  private final Path data;
  private final int port;
  private final String password;

  private PostgresServer(Path bin, Path dir, int port, String password) {
    this.bin = bin;
    this.dir = dir;
    this.data = dir.resolve("data");
    this.port = port;
    this.password = password;
  }

  /** The directory of Debian's PostgreSQL binaries (the newest version installed). */
  public static Path binaries() {
    try (Stream<Path> versions = Files.list(Path.of("/usr/lib/postgresql"))) {
      return versions
          .map(v -> v.resolve("bin"))
          .filter(b -> Files.isExecutable(b.resolve("initdb")))
          .max(Comparator.comparing(b -> Integer.parseInt(b.getParent().getFileName().toString())))
          .orElseThrow(PostgresServer::notInstalled);
    } catch (IOException e) {
      throw notInstalled();
    }
  }

  private static IllegalStateException notInstalled() {
    return new IllegalStateException(
        "no PostgreSQL in /usr/lib/postgresql/*/bin: install Debian's postgresql package"
            + " (.ci/run does)");
  }

  /** Creates a cluster in a new temporary directory and starts it; stop it with {@link #close}. */
  public static PostgresServer start() {
    Path bin = binaries();
    Path dir;
    try {
      dir = Files.createTempDirectory("foundry-pg-");
      String password = UUID.randomUUID().toString();
      Path pwfile = dir.resolve("pwfile");
      Files.writeString(pwfile, password + "\n");
      if (asRoot()) {
        UserPrincipal postgres =
            dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
        Files.setOwner(dir, postgres);
        Files.setOwner(pwfile, postgres);
      }
      run(
          dir,
          List.of(
              bin.resolve("initdb").toString(),
              "-D",
              dir.resolve("data").toString(),
              "-U",
              USER,
              "--pwfile=" + pwfile,
              "--auth=scram-sha-256",
              "--encoding=UTF8",
              "--locale=C",
              "--no-sync"));
      Files.delete(pwfile);
      IllegalStateException failure = null;
      for (int attempt = 0; attempt < 3; attempt++) {
        PostgresServer server = new PostgresServer(bin, dir, freePort(), password);
        try {
          server.startServer();
          return server;
        } catch (IllegalStateException e) {
          // Most likely the port was taken between choosing and binding it: try another.
          failure = e;
        }
      }
      deleteTree(dir);
      throw failure;
    } catch (IOException e) {
      throw new IllegalStateException("cannot start PostgreSQL: " + e, e);
    }
  }

  private void startServer() {
    run(
        dir,
        List.of(
            bin.resolve("pg_ctl").toString(),
            "-D",
            data.toString(),
            "-l",
            dir.resolve("server.log").toString(),
            "-w",
            "-t",
            "60",
            "-o",
            "-p "
                + port
                + " -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
                + " -c fsync=off -c full_page_writes=off -c max_connections=200",
            "start"));
  }

  /** The JDBC URL of {@code database}, without credentials. */
  public String url(String database) {
    return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
  }

  public String password() {
    return password;
  }

  /**
   * Creates a database of its own for a test (named {@code prefix} and a random suffix) and returns
   * its name.
   */
  public String createDatabase(String prefix) {
    String name = (prefix + "_" + UUID.randomUUID().toString().substring(0, 8)).replace('-', '_');
    try (Connection c = connect("postgres");
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (SQLException e) {
      throw new IllegalStateException("cannot create database " + name + ": " + e, e);
    }
    return name;
  }

  /** A connection to {@code database} as the test user. */
  public Connection connect(String database) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", USER);
    p.setProperty("password", password);
    return DriverManager.getConnection(url(database), p);
  }

  /** The settings that put a backend's journal on {@code database}, as environment variables. */
  public Map<String, String> environment(String database) {
    return Map.of(
        "FOUNDRY_JOURNAL_URL",
        url(database),
        "FOUNDRY_JOURNAL_USER",
        USER,
        "FOUNDRY_JOURNAL_PASSWORD",
        password);
  }

  /** The same settings as configuration paths, for tests that build their configuration. */
  public Map<String, Object> config(String database) {
    return Map.of(
        "foundry.persistence.journal-url",
        url(database),
        "foundry.persistence.journal-user",
        USER,
        "foundry.persistence.journal-password",
        password);
  }

  @Override
  public void close() {
    try {
      run(
          dir,
          List.of(
              bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "fast", "-w", "stop"));
    } finally {
      deleteTree(dir);
    }
  }

  private static boolean asRoot() {
    return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** Runs a PostgreSQL tool, as the postgres user when we are root; fails with its output. */
  private static void run(Path dir, List<String> command) {
    List<String> full = new ArrayList<>();
    if (asRoot()) {
      full.addAll(List.of("runuser", "-u", "postgres", "--"));
    }
    full.addAll(command);
    try {
      Process p =
          new ProcessBuilder(full)
              .directory(dir.toFile()) // the test's own directory may be closed to postgres
              .redirectErrorStream(true)
              .start();
      p.getOutputStream().close();
      byte[] output = p.getInputStream().readAllBytes();
      if (!p.waitFor(90, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        String log = "";
        Path serverLog = dir.resolve("server.log");
        if (Files.exists(serverLog)) {
          log = "\nserver.log:\n" + Files.readString(serverLog);
        }
        throw new IllegalStateException(
            String.join(" ", command)
                + " failed:\n"
                + new String(output, StandardCharsets.UTF_8)
                + log);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + command.get(0) + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted running " + command.get(0), e);
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      // a leftover temporary directory; nothing else depends on it
    }
  }
}
