package dev.foundry.backend.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.Locale;

/**
 * The typed, validated settings of one backend process. Built once at start: every problem is
 * reported here, naming the environment variable, before the server listens.
 */
public record FoundrySettings(
    Path dataDir,
    String appUrl,
    String apiUrl,
    LogFormat logFormat,
    String logLevel,
    Http http,
    Auth auth,
    Github github,
    Stripe stripe,
    Sandbox sandbox,
    Runtime runtime,
    Realtime realtime) {

  /** The secret used for session cookies when a loopback-only dev server has none configured. */
  public static final String DEV_AUTH_SECRET = "sandbox-agent-foundry-development-only-change-me";

  public enum LogFormat {
    READABLE,
    JSON
  }

  public record Http(String host, int port, long maxBodyBytes, Duration shutdownDeadline) {
    /** True when only this machine can reach the server: dev defaults are then acceptable. */
    public boolean loopbackOnly() {
      try {
        return InetAddress.getByName(host).isLoopbackAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }
  }

  public record Auth(String secret, boolean devAuth, byte[] credentialsKey, Duration sessionTtl) {}

  public record Github(
      String clientId,
      String clientSecret,
      String redirectUri,
      String appId,
      String appPrivateKey,
      String webhookSecret,
      String apiUrl) {
    public boolean oauthConfigured() {
      return !clientId.isEmpty();
    }

    public boolean appConfigured() {
      return !appId.isEmpty();
    }
  }

  public record Stripe(
      String secretKey, String publishableKey, String webhookSecret, String priceTeam) {
    public boolean configured() {
      return !secretKey.isEmpty();
    }
  }

  /** Where sandboxes run and the sandbox-agent executable ({@code agentBinary} may be null). */
  public record Sandbox(String provider, Path agentBinary) {}

  public record Runtime(
      Duration passivateAfter,
      Duration commandTimeout,
      int snapshotEvery,
      int maxActiveActors,
      int maxQueuedPerActor,
      Duration ioTimeout) {}

  /**
   * The realtime WebSocket: outgoing frames a connection may queue before it is dropped as a slow
   * client, and how many topics it may subscribe to. The keep-alive interval is Pekko HTTP's own
   * setting (set from {@code foundry.realtime.keep-alive} in {@code realtime.conf}).
   */
  public record Realtime(int bufferSize, int maxSubscriptions, Duration keepAlive) {}

  /**
   * Reads and validates the {@code foundry} section.
   *
   * @throws MissingSettingException when a required secret is absent
   * @throws InvalidSettingException when a value cannot be used
   */
  public static FoundrySettings from(Config config) {
    Config f = config.getConfig("foundry");
    Http http =
        new Http(
            string(f, "http.host", "HOST"),
            port(f),
            f.getBytes("http.max-body-size"),
            f.getDuration("http.shutdown-deadline"));
    boolean loopback = http.loopbackOnly();

    Github github =
        new Github(
            f.getString("github.client-id"),
            f.getString("github.client-secret"),
            f.getString("github.redirect-uri"),
            f.getString("github.app-id"),
            f.getString("github.app-private-key").replace("\\n", "\n"),
            f.getString("github.webhook-secret"),
            f.getString("github.api-url"));
    if (github.oauthConfigured() && github.clientSecret().isEmpty()) {
      throw new MissingSettingException(
          "GITHUB_CLIENT_SECRET",
          "foundry.github.client-secret",
          "GITHUB_CLIENT_ID is set, so GitHub sign-in needs its client secret");
    }
    if (github.appConfigured() && github.appPrivateKey().isEmpty()) {
      throw new MissingSettingException(
          "GITHUB_APP_PRIVATE_KEY",
          "foundry.github.app-private-key",
          "GITHUB_APP_ID is set, so the GitHub App needs its private key (PEM)");
    }

    Stripe stripe =
        new Stripe(
            f.getString("stripe.secret-key"),
            f.getString("stripe.publishable-key"),
            f.getString("stripe.webhook-secret"),
            f.getString("stripe.price-team"));
    if (stripe.configured() && stripe.webhookSecret().isEmpty()) {
      throw new MissingSettingException(
          "STRIPE_WEBHOOK_SECRET",
          "foundry.stripe.webhook-secret",
          "STRIPE_SECRET_KEY is set, so Stripe webhooks must be verified with their secret");
    }

    return new FoundrySettings(
        Path.of(f.getString("data-dir")).toAbsolutePath().normalize(),
        f.getString("app-url"),
        f.getString("api-url"),
        logFormat(f),
        logLevel(f),
        http,
        auth(f, loopback, github),
        github,
        stripe,
        sandbox(f),
        new Runtime(
            positive(f, "runtime.passivate-after", "FOUNDRY_PASSIVATE_AFTER"),
            positive(f, "runtime.command-timeout", "FOUNDRY_COMMAND_TIMEOUT"),
            snapshotEvery(f),
            atLeast(f, "runtime.max-active-actors", "FOUNDRY_MAX_ACTIVE_ACTORS", 10),
            atLeast(f, "runtime.max-queued-per-actor", "FOUNDRY_MAX_QUEUED_PER_ACTOR", 1),
            positive(f, "runtime.io-timeout", "FOUNDRY_IO_TIMEOUT")),
        new Realtime(
            atLeast(f, "realtime.buffer-size", "FOUNDRY_REALTIME_BUFFER_SIZE", 1),
            atLeast(f, "realtime.max-subscriptions", "FOUNDRY_REALTIME_MAX_SUBSCRIPTIONS", 1),
            positive(f, "realtime.keep-alive", "FOUNDRY_REALTIME_KEEP_ALIVE")));
  }

  private static Auth auth(Config f, boolean loopback, Github github) {
    String secret = f.getString("auth.secret");
    if (secret.isEmpty()) {
      if (!loopback) {
        throw new MissingSettingException(
            "BETTER_AUTH_SECRET",
            "foundry.auth.secret",
            "the server binds a non-loopback address, so session cookies need a real secret");
      }
      secret = DEV_AUTH_SECRET;
    }
    String devAuthValue = f.getString("auth.dev-auth").trim().toLowerCase();
    boolean devAuth =
        switch (devAuthValue) {
          case "auto" -> loopback && !github.oauthConfigured();
          case "true" -> true;
          case "false" -> false;
          default ->
              throw new InvalidSettingException(
                  "FOUNDRY_DEV_AUTH", "foundry.auth.dev-auth", devAuthValue, "auto, true or false");
        };
    String keyText = f.getString("auth.credentials-key");
    byte[] key;
    if (keyText.isEmpty()) {
      if (!loopback) {
        throw new MissingSettingException(
            "FOUNDRY_CREDENTIALS_KEY",
            "foundry.auth.credentials-key",
            "the server binds a non-loopback address, so stored provider credentials need an"
                + " encryption key (base64 of 32 random bytes)");
      }
      // Loopback dev server: a fixed key derived from the dev secret keeps data readable across
      // restarts; it protects nothing, which is acceptable only on a machine-local server.
      key = Arrays.copyOf(DEV_AUTH_SECRET.getBytes(), 32);
    } else {
      try {
        key = Base64.getDecoder().decode(keyText);
      } catch (IllegalArgumentException e) {
        key = new byte[0];
      }
      if (key.length != 32) {
        throw new InvalidSettingException(
            "FOUNDRY_CREDENTIALS_KEY",
            "foundry.auth.credentials-key",
            "<hidden>",
            "base64 of exactly 32 bytes");
      }
    }
    return new Auth(secret, devAuth, key, f.getDuration("auth.session-ttl"));
  }

  private static int port(Config f) {
    String raw = f.getValue("http.port").unwrapped().toString();
    try {
      int port = Integer.parseInt(raw.trim());
      if (port >= 0 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new InvalidSettingException("PORT", "foundry.http.port", raw, "a port number 0-65535");
  }

  private static LogFormat logFormat(Config f) {
    String raw = f.getString("log-format").trim().toLowerCase();
    return switch (raw) {
      case "readable", "text", "" -> LogFormat.READABLE;
      case "json" -> LogFormat.JSON;
      default ->
          throw new InvalidSettingException(
              "LOG_FORMAT", "foundry.log-format", raw, "readable or json");
    };
  }

  private static Sandbox sandbox(Config f) {
    String provider = f.getString("sandbox.provider").trim().toLowerCase(Locale.ROOT);
    if (!provider.equals("local")) {
      throw new InvalidSettingException(
          "FOUNDRY_SANDBOX_PROVIDER", "foundry.sandbox.provider", provider, "local");
    }
    String binary = f.getString("sandbox.agent-binary").trim();
    if (binary.isEmpty()) {
      return new Sandbox(provider, null);
    }
    Path path = Path.of(binary).toAbsolutePath().normalize();
    if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
      throw new InvalidSettingException(
          "SANDBOX_AGENT_BIN",
          "foundry.sandbox.agent-binary",
          binary,
          "the path of an executable sandbox-agent binary (scripts/sandbox-agent-bin prints one)");
    }
    return new Sandbox(provider, path);
  }

  private static String logLevel(Config f) {
    String raw = f.getString("log-level").trim().toUpperCase(Locale.ROOT);
    return switch (raw) {
      case "ERROR", "WARN", "INFO", "DEBUG", "TRACE" -> raw;
      case "WARNING" -> "WARN";
      default ->
          throw new InvalidSettingException(
              "LOG_LEVEL", "foundry.log-level", raw, "ERROR, WARN, INFO, DEBUG or TRACE");
    };
  }

  private static Duration positive(Config f, String path, String env) {
    String raw = f.getValue(path).unwrapped().toString();
    try {
      Duration d = f.getDuration(path);
      if (!d.isNegative() && !d.isZero()) {
        return d;
      }
    } catch (ConfigException.BadValue e) {
      // reported below
    }
    throw new InvalidSettingException(env, "foundry." + path, raw, "a positive duration like 30s");
  }

  private static int atLeast(Config f, String path, String env, int min) {
    String raw = f.getValue(path).unwrapped().toString();
    try {
      int n = Integer.parseInt(raw.trim());
      if (n >= min) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new InvalidSettingException(env, "foundry." + path, raw, "an integer >= " + min);
  }

  private static int snapshotEvery(Config f) {
    String raw = f.getValue("runtime.snapshot-every").unwrapped().toString();
    try {
      int n = Integer.parseInt(raw.trim());
      if (n >= 10) {
        return n;
      }
    } catch (NumberFormatException ignored) {
      // reported below
    }
    throw new InvalidSettingException(
        "FOUNDRY_SNAPSHOT_EVERY", "foundry.runtime.snapshot-every", raw, "an integer >= 10");
  }

  private static String string(Config f, String path, String env) {
    String value = f.getString(path).trim();
    if (value.isEmpty()) {
      throw new InvalidSettingException(env, "foundry." + path, value, "a non-empty value");
    }
    return value;
  }
}
