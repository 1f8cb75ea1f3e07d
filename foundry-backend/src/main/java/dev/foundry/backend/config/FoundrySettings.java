package dev.foundry.backend.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
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
    Realtime realtime,
    SandboxLimits sandboxLimits,
    Cluster cluster) {

  /** The secret used for session cookies when a loopback-only dev server has none configured. */
  public static final String DEV_AUTH_SECRET = "sandbox-agent-foundry-development-only-change-me";

  public enum LogFormat {
    READABLE,
    JSON
  }

  /**
   * The HTTP server. {@code allowedHosts} are the extra {@code Host} names of {@code
   * FOUNDRY_ALLOWED_HOSTS} (lower case, without port); {@code allowedOrigins} the extra origins of
   * {@code FOUNDRY_ALLOWED_ORIGINS} that may send state-changing requests.
   */
  public record Http(
      String host,
      int port,
      long maxBodyBytes,
      Duration shutdownDeadline,
      List<String> allowedHosts,
      List<String> allowedOrigins,
      String adminToken) {
    public Http {
      adminToken = adminToken == null ? "" : adminToken;
      allowedHosts = List.copyOf(allowedHosts);
      allowedOrigins = List.copyOf(allowedOrigins);
    }

    /** Whether the operator's inspector ({@code /admin}, {@code /v1/admin/...}) is served. */
    public boolean adminEnabled() {
      return !adminToken.isEmpty();
    }

    /** True when only this machine can reach the server: dev defaults are then acceptable. */
    public boolean loopbackOnly() {
      try {
        return InetAddress.getByName(host).isLoopbackAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }
  }

  /**
   * Sign-in. {@code devAuthReason} says why dev sign-in is on or off (logged at start).
   *
   * @param devAuth whether {@code POST /v1/auth/dev/sign-in} is served
   */
  public record Auth(
      String secret,
      boolean devAuth,
      String devAuthReason,
      byte[] credentialsKey,
      Duration sessionTtl) {}

  /**
   * GitHub: the OAuth App (sign-in), the GitHub App (installations, tokens), and where GitHub is
   * ({@code GITHUB_SERVER_URL}, {@code GITHUB_API_URL}: github.com or a GitHub Enterprise Server).
   */
  public record Github(
      String clientId,
      String clientSecret,
      String redirectUri,
      String appId,
      String appPrivateKey,
      String webhookSecret,
      String apiUrl,
      String serverUrl,
      Duration requestTimeout,
      Duration rateLimitMaxWait,
      Duration signInTimeout) {
    @Override
    public String toString() {
      return "Github[clientId="
          + clientId
          + ", appId="
          + appId
          + ", apiUrl="
          + apiUrl
          + ", serverUrl="
          + serverUrl
          + ", secrets=***]";
    }

    public boolean oauthConfigured() {
      return !clientId.isEmpty();
    }

    public boolean appConfigured() {
      return !appId.isEmpty();
    }
  }

  /**
   * Stripe billing; on when the secret key is set.
   *
   * @param apiBase where Stripe's API is ({@code STRIPE_API_BASE}, {@code https://api.stripe.com}
   *     unless a test points it at a local fake)
   */
  public record Stripe(
      String secretKey,
      String publishableKey,
      String webhookSecret,
      String priceTeam,
      String apiBase) {
    public boolean configured() {
      return !secretKey.isEmpty();
    }
  }

  /**
   * Where sandboxes run ({@code isolated}, {@code local} or {@code remote}), the sandbox-agent
   * executable ({@code agentBinary} may be null: then no local sandbox runs), and the host paths
   * isolated sandboxes share.
   *
   * @param root the provider's sandbox root, outside the data directory
   * @param allowUnisolated the operator accepts the unisolated local provider without dev sign-in
   * @param remote the server the {@code remote} provider drives; null for the other providers
   * @param network {@code full} or {@code none} ({@code FOUNDRY_SANDBOX_NETWORK}); {@code none}
   *     only with the {@code isolated} provider
   */
  public record Sandbox(
      String provider,
      Path agentBinary,
      Path root,
      boolean allowUnisolated,
      List<Path> sharedPaths,
      Remote remote,
      String network) {
    public Sandbox {
      sharedPaths = List.copyOf(sharedPaths);
      network = network == null ? "full" : network;
    }

    /** Whether sandboxes get no network ({@code FOUNDRY_SANDBOX_NETWORK=none}). */
    public boolean offline() {
      return network.equals("none");
    }

    public boolean isolated() {
      return provider.equals("isolated");
    }

    /** Whether this backend runs sandboxes: a remote server, or a local binary. */
    public boolean enabled() {
      return remote != null || agentBinary != null;
    }
  }

  /**
   * The sandbox-agent server of the {@code remote} provider.
   *
   * @param url its base URL
   * @param token its bearer token (a secret: never in {@link #toString})
   * @param root the directory on that server under which sandboxes live
   */
  public record Remote(java.net.URI url, String token, String root) {
    @Override
    public String toString() {
      return "Remote[" + url + ", token=***, root=" + root + "]";
    }
  }

  /**
   * How many sandboxes may live at once: in all ({@code FOUNDRY_MAX_SANDBOXES}) and per
   * organization ({@code FOUNDRY_MAX_SANDBOXES_PER_ORGANIZATION}).
   */
  public record SandboxLimits(
      int maxSandboxes, int maxPerOrganization, long maxProcesses, long maxMemoryBytes) {}

  public record Runtime(
      Duration passivateAfter,
      Duration commandTimeout,
      int snapshotEvery,
      int maxActiveActors,
      int maxQueuedPerActor,
      Duration ioTimeout,
      int backupEvery,
      Duration unlistAfter) {}

  /**
   * The realtime WebSocket: outgoing frames a connection may queue before it is dropped as a slow
   * client, and how many topics it may subscribe to. The keep-alive interval is Pekko HTTP's own
   * setting (set from {@code foundry.realtime.keep-alive} in {@code realtime.conf}).
   */
  public record Realtime(int bufferSize, int maxSubscriptions, Duration keepAlive) {}

  /**
   * Cluster mode ({@code FOUNDRY_CLUSTER_SEED_NODES}); null on the single-node default.
   *
   * @param seedNodes the {@code host:port} remoting addresses of the nodes that form the cluster
   * @param host this node's remoting host
   * @param port this node's remoting port
   * @param downAfter how long a node stays unreachable before it is downed
   */
  public record Cluster(List<String> seedNodes, String host, int port, Duration downAfter) {
    public Cluster {
      seedNodes = List.copyOf(seedNodes);
    }
  }

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
            f.getDuration("http.shutdown-deadline"),
            allowedHosts(f),
            allowedOrigins(f),
            f.getString("http.admin-token").strip());
    boolean loopback = http.loopbackOnly();
    String appUrl = publicUrl(f, "app-url", "APP_URL");
    String apiUrl = publicUrl(f, "api-url", "BETTER_AUTH_URL");

    Github github =
        new Github(
            f.getString("github.client-id"),
            f.getString("github.client-secret"),
            f.getString("github.redirect-uri"),
            f.getString("github.app-id"),
            f.getString("github.app-private-key").replace("\\n", "\n"),
            f.getString("github.webhook-secret"),
            githubUrl(f, "github.api-url", "GITHUB_API_URL"),
            githubUrl(f, "github.server-url", "GITHUB_SERVER_URL"),
            positive(f, "github.request-timeout", "FOUNDRY_GITHUB_REQUEST_TIMEOUT"),
            nonNegative(f, "github.rate-limit-max-wait", "FOUNDRY_GITHUB_RATE_LIMIT_MAX_WAIT"),
            positive(f, "github.sign-in-timeout", "FOUNDRY_GITHUB_SIGN_IN_TIMEOUT"));
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
            f.getString("stripe.price-team"),
            publicUrl(f, "stripe.api-base", "STRIPE_API_BASE").replaceAll("/+$", ""));
    if (stripe.configured() && stripe.webhookSecret().isEmpty()) {
      throw new MissingSettingException(
          "STRIPE_WEBHOOK_SECRET",
          "foundry.stripe.webhook-secret",
          "STRIPE_SECRET_KEY is set, so Stripe webhooks must be verified with their secret");
    }
    if (stripe.configured() && stripe.priceTeam().isEmpty()) {
      throw new MissingSettingException(
          "STRIPE_PRICE_TEAM",
          "foundry.stripe.price-team",
          "STRIPE_SECRET_KEY is set, so checkout needs the Team plan's price id");
    }

    Path dataDir = Path.of(f.getString("data-dir")).toAbsolutePath().normalize();
    Auth auth = auth(f, loopback, github, appUrl, apiUrl);
    // Read by each sandbox actor from the configuration; checked here so a bad value stops the
    // start instead of failing sandbox actors one by one.
    notNegative(f, "sandbox.transcript-batch-window", "FOUNDRY_TRANSCRIPT_BATCH_WINDOW");
    checkJournalUrl(config);
    atLeast(f, "persistence.journal-max-connections", "FOUNDRY_JOURNAL_MAX_CONNECTIONS", 1);
    return new FoundrySettings(
        dataDir,
        appUrl,
        apiUrl,
        logFormat(f),
        logLevel(f),
        http,
        auth,
        github,
        stripe,
        sandbox(f, dataDir, auth.devAuth()),
        new Runtime(
            positive(f, "runtime.passivate-after", "FOUNDRY_PASSIVATE_AFTER"),
            positive(f, "runtime.command-timeout", "FOUNDRY_COMMAND_TIMEOUT"),
            snapshotEvery(f),
            atLeast(f, "runtime.max-active-actors", "FOUNDRY_MAX_ACTIVE_ACTORS", 10),
            atLeast(f, "runtime.max-queued-per-actor", "FOUNDRY_MAX_QUEUED_PER_ACTOR", 1),
            positive(f, "runtime.io-timeout", "FOUNDRY_IO_TIMEOUT"),
            atLeast(f, "runtime.backup-every", "FOUNDRY_BACKUP_EVERY", 10),
            positive(f, "runtime.unlist-after", "FOUNDRY_UNLIST_AFTER")),
        new Realtime(
            atLeast(f, "realtime.buffer-size", "FOUNDRY_REALTIME_BUFFER_SIZE", 1),
            atLeast(f, "realtime.max-subscriptions", "FOUNDRY_REALTIME_MAX_SUBSCRIPTIONS", 1),
            positive(f, "realtime.keep-alive", "FOUNDRY_REALTIME_KEEP_ALIVE")),
        new SandboxLimits(
            atLeast(f, "sandbox-limits.max-sandboxes", "FOUNDRY_MAX_SANDBOXES", 1),
            atLeast(
                f,
                "sandbox-limits.max-per-organization",
                "FOUNDRY_MAX_SANDBOXES_PER_ORGANIZATION",
                1),
            atLeast(f, "sandbox-limits.max-processes", "FOUNDRY_SANDBOX_MAX_PROCESSES", 0),
            bytes(f, "sandbox-limits.max-memory", "FOUNDRY_SANDBOX_MAX_MEMORY")),
        cluster(config, f));
  }

  /**
   * Cluster mode needs what every node shares: the journal on PostgreSQL, and sandboxes every node
   * reaches (the remote provider), since an actor moves between nodes and a sandbox-agent process
   * of the local providers lives on one machine.
   */
  private static Cluster cluster(Config config, Config f) {
    if (!FoundryConfig.clusterMode(config)) {
      return null;
    }
    String seedsRaw = f.getString("cluster.seed-nodes");
    List<String> seeds = new ArrayList<>();
    for (String item : seedsRaw.split(",")) {
      if (item.isBlank()) {
        continue;
      }
      String node = item.strip();
      int colon = node.lastIndexOf(':');
      if (colon <= 0 || !validPort(node.substring(colon + 1), 1)) {
        throw new InvalidSettingException(
            "FOUNDRY_CLUSTER_SEED_NODES",
            "foundry.cluster.seed-nodes",
            seedsRaw,
            "comma-separated host:port remoting addresses, such as 10.0.0.1:7355,10.0.0.2:7355");
      }
      seeds.add(node);
    }
    String portRaw = f.getValue("cluster.port").unwrapped().toString().strip();
    if (!validPort(portRaw, 0)) {
      throw new InvalidSettingException(
          "FOUNDRY_CLUSTER_PORT", "foundry.cluster.port", portRaw, "a port number 0-65535");
    }
    if (!FoundryConfig.journalOnPostgres(config)) {
      throw new MissingSettingException(
          "FOUNDRY_JOURNAL_URL",
          FoundryConfig.JOURNAL_URL,
          "FOUNDRY_CLUSTER_SEED_NODES is set, so the nodes need one shared journal: a PostgreSQL"
              + " JDBC URL");
    }
    String provider = f.getString("sandbox.provider").strip().toLowerCase(java.util.Locale.ROOT);
    boolean localSandboxes =
        !provider.equals("remote") && !f.getString("sandbox.agent-binary").isBlank();
    if (localSandboxes) {
      throw new InvalidSettingException(
          "FOUNDRY_SANDBOX_PROVIDER",
          "foundry.sandbox.provider",
          provider,
          "remote in cluster mode (FOUNDRY_CLUSTER_SEED_NODES is set): a sandbox actor moves"
              + " between nodes, a local sandbox-agent process does not; or unset"
              + " SANDBOX_AGENT_BIN to run without sandboxes");
    }
    return new Cluster(
        seeds,
        string(f, "cluster.host", "FOUNDRY_CLUSTER_HOST"),
        Integer.parseInt(portRaw),
        positive(f, "cluster.down-after", "FOUNDRY_CLUSTER_DOWN_AFTER"));
  }

  private static boolean validPort(String raw, int min) {
    try {
      int port = Integer.parseInt(raw.strip());
      return port >= min && port <= 65535;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static Auth auth(
      Config f, boolean loopback, Github github, String appUrl, String apiUrl) {
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
    boolean devAuth;
    String devAuthReason;
    switch (devAuthValue) {
      case "auto" -> {
        // Behind a reverse proxy the bind is loopback too: only the public URLs tell that
        // browsers of other machines reach this server.
        List<String> notLoopback = new ArrayList<>();
        if (!loopback) {
          notLoopback.add("HOST");
        }
        if (!isLoopbackUrl(appUrl)) {
          notLoopback.add("APP_URL");
        }
        if (!isLoopbackUrl(apiUrl)) {
          notLoopback.add("BETTER_AUTH_URL");
        }
        if (!notLoopback.isEmpty()) {
          devAuth = false;
          devAuthReason =
              "FOUNDRY_DEV_AUTH=auto and " + String.join(", ", notLoopback) + " not loopback";
        } else if (github.oauthConfigured()) {
          devAuth = false;
          devAuthReason = "FOUNDRY_DEV_AUTH=auto and GITHUB_CLIENT_ID is set";
        } else {
          devAuth = true;
          devAuthReason =
              "FOUNDRY_DEV_AUTH=auto, a loopback bind, loopback APP_URL and BETTER_AUTH_URL and no"
                  + " GITHUB_CLIENT_ID";
        }
      }
      case "true" -> {
        devAuth = true;
        devAuthReason = "FOUNDRY_DEV_AUTH=true";
      }
      case "false" -> {
        devAuth = false;
        devAuthReason = "FOUNDRY_DEV_AUTH=false";
      }
      default ->
          throw new InvalidSettingException(
              "FOUNDRY_DEV_AUTH", "foundry.auth.dev-auth", devAuthValue, "auto, true or false");
    }
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
    return new Auth(secret, devAuth, devAuthReason, key, f.getDuration("auth.session-ttl"));
  }

  /**
   * The journal's database is chosen by {@link FoundryConfig}; a URL it does not recognise would
   * silently leave the journal on SQLite, so it stops the start instead.
   */
  private static void checkJournalUrl(Config config) {
    String url = config.getString(FoundryConfig.JOURNAL_URL).strip();
    if (!url.isEmpty() && !FoundryConfig.journalOnPostgres(config)) {
      // The URL may carry a password: show only its scheme.
      String shown = url.contains("//") ? url.substring(0, url.indexOf("//") + 2) + "…" : "…";
      throw new InvalidSettingException(
          "FOUNDRY_JOURNAL_URL",
          FoundryConfig.JOURNAL_URL,
          shown,
          "empty (the SQLite journal) or a PostgreSQL JDBC URL, jdbc:postgresql://host:port/db");
    }
  }

  /** True when {@code url}'s host is {@code localhost} or a loopback address literal. */
  public static boolean isLoopbackUrl(String url) {
    String host = URI.create(url).getHost();
    return host != null && isLoopbackHost(host);
  }

  /**
   * True for {@code localhost} (and its subdomains, which resolve to loopback) and loopback IP
   * literals; a name is never resolved here (DNS may say anything).
   */
  public static boolean isLoopbackHost(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.equals("localhost") || h.endsWith(".localhost")) {
      return true;
    }
    if (h.matches("[0-9.]+") || h.contains(":")) {
      try {
        return InetAddress.getByName(h).isLoopbackAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }
    return false;
  }

  /** A GitHub base URL without a trailing slash. */
  private static String githubUrl(Config f, String path, String env) {
    String url = publicUrl(f, path, env);
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private static Duration nonNegative(Config f, String path, String env) {
    String raw = f.getValue(path).unwrapped().toString();
    try {
      Duration d = f.getDuration(path);
      if (!d.isNegative()) {
        return d;
      }
    } catch (ConfigException.BadValue e) {
      // reported below
    }
    throw new InvalidSettingException(env, "foundry." + path, raw, "a duration like 60s, or 0");
  }

  private static String publicUrl(Config f, String path, String env) {
    String raw = f.getString(path).trim();
    try {
      URI uri = new URI(raw);
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
      if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null) {
        return raw;
      }
    } catch (URISyntaxException e) {
      // reported below
    }
    throw new InvalidSettingException(
        env, "foundry." + path, raw, "an absolute http(s) URL like https://foundry.example.com");
  }

  private static List<String> allowedHosts(Config f) {
    List<String> hosts = new ArrayList<>();
    for (String item : commaList(f.getString("http.allowed-hosts"))) {
      String host = item.toLowerCase(Locale.ROOT);
      // "host", "host:port", "[::1]:port": the port is not part of the rule.
      if (host.startsWith("[")) {
        int end = host.indexOf(']');
        host = end < 0 ? "" : host.substring(0, end + 1);
      } else if (host.indexOf(':') == host.lastIndexOf(':') && host.contains(":")) {
        host = host.substring(0, host.indexOf(':'));
      }
      if (host.isEmpty() || host.contains("/") || host.contains("*")) {
        throw new InvalidSettingException(
            "FOUNDRY_ALLOWED_HOSTS",
            "foundry.http.allowed-hosts",
            item,
            "comma-separated host names or IP addresses, like foundry.internal,10.0.0.7");
      }
      hosts.add(host);
    }
    return hosts;
  }

  private static List<String> allowedOrigins(Config f) {
    List<String> origins = new ArrayList<>();
    for (String item : commaList(f.getString("http.allowed-origins"))) {
      try {
        URI uri = new URI(item);
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        boolean bare =
            (uri.getPath() == null || uri.getPath().isEmpty() || uri.getPath().equals("/"))
                && uri.getQuery() == null
                && uri.getFragment() == null;
        if ((scheme.equals("http") || scheme.equals("https")) && uri.getHost() != null && bare) {
          origins.add(item);
          continue;
        }
      } catch (URISyntaxException e) {
        // reported below
      }
      throw new InvalidSettingException(
          "FOUNDRY_ALLOWED_ORIGINS",
          "foundry.http.allowed-origins",
          item,
          "comma-separated origins like https://admin.example.com");
    }
    return origins;
  }

  private static List<String> commaList(String raw) {
    List<String> items = new ArrayList<>();
    for (String item : raw.split(",")) {
      if (!item.isBlank()) {
        items.add(item.strip());
      }
    }
    return items;
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

  private static Sandbox sandbox(Config f, Path dataDir, boolean devAuth) {
    String provider = f.getString("sandbox.provider").trim().toLowerCase(Locale.ROOT);
    if (!provider.equals("isolated") && !provider.equals("local") && !provider.equals("remote")) {
      throw new InvalidSettingException(
          "FOUNDRY_SANDBOX_PROVIDER",
          "foundry.sandbox.provider",
          provider,
          "isolated, local or remote");
    }
    List<Path> shared = new ArrayList<>();
    String sharedRaw = f.getString("sandbox.shared-paths").trim();
    for (String entry : sharedRaw.split(":")) {
      if (entry.isBlank()) {
        continue;
      }
      Path path = Path.of(entry.trim());
      if (!path.isAbsolute() || !Files.exists(path)) {
        throw new InvalidSettingException(
            "FOUNDRY_SANDBOX_SHARED_PATHS",
            "foundry.sandbox.shared-paths",
            sharedRaw,
            "existing absolute paths separated by ':'");
      }
      shared.add(path.normalize());
    }
    Path root = sandboxRoot(f, dataDir);
    String unisolated = f.getString("sandbox.allow-unisolated").trim().toLowerCase(Locale.ROOT);
    if (!unisolated.equals("true") && !unisolated.equals("false")) {
      throw new InvalidSettingException(
          "FOUNDRY_ALLOW_UNISOLATED_SANDBOXES",
          "foundry.sandbox.allow-unisolated",
          unisolated,
          "true or false");
    }
    boolean allowUnisolated = unisolated.equals("true");
    String network = network(f, provider);
    if (provider.equals("remote")) {
      // The server runs elsewhere: no local binary is needed, and none is started.
      return new Sandbox(provider, null, root, allowUnisolated, shared, remote(f), network);
    }
    String binary = f.getString("sandbox.agent-binary").trim();
    if (binary.isEmpty()) {
      return new Sandbox(provider, null, root, allowUnisolated, shared, null, network);
    }
    Path path = Path.of(binary).toAbsolutePath().normalize();
    if (!Files.isRegularFile(path) || !Files.isExecutable(path)) {
      throw new InvalidSettingException(
          "SANDBOX_AGENT_BIN",
          "foundry.sandbox.agent-binary",
          binary,
          "the path of an executable sandbox-agent binary (scripts/sandbox-agent-bin prints one)");
    }
    if (provider.equals("local") && !devAuth && !allowUnisolated) {
      throw new MissingSettingException(
          "FOUNDRY_ALLOW_UNISOLATED_SANDBOXES",
          "foundry.sandbox.allow-unisolated",
          "dev sign-in is off, and the local sandbox provider (FOUNDRY_SANDBOX_PROVIDER=local) is"
              + " for development only: its agents run as this server's user and can read the"
              + " host's files, including the data directory (docs/threat-model.md). Use the"
              + " isolated provider (the default), set FOUNDRY_ALLOW_UNISOLATED_SANDBOXES=true to"
              + " run local anyway, or unset SANDBOX_AGENT_BIN to run no sandboxes");
    }
    return new Sandbox(provider, path, root, allowUnisolated, shared, null, network);
  }

  /**
   * {@code foundry.sandbox.network}: {@code full}, or {@code none}, which only the isolated
   * provider can honour (it gives each sandbox a network namespace of its own).
   */
  private static String network(Config f, String provider) {
    String raw = f.getString("sandbox.network").trim().toLowerCase(Locale.ROOT);
    if (!raw.equals("full") && !raw.equals("none")) {
      throw new InvalidSettingException(
          "FOUNDRY_SANDBOX_NETWORK", "foundry.sandbox.network", raw, "full or none");
    }
    if (raw.equals("none") && !provider.equals("isolated")) {
      throw new InvalidSettingException(
          "FOUNDRY_SANDBOX_NETWORK",
          "foundry.sandbox.network",
          raw,
          "full with FOUNDRY_SANDBOX_PROVIDER="
              + provider
              + ": only the isolated provider can take a sandbox's network away ("
              + (provider.equals("local")
                  ? "local sandboxes are plain processes in the host's network"
                  : "a remote server's sandboxes share that server's network, which it sets")
              + ")");
    }
    return raw;
  }

  /** {@code foundry.sandbox.remote}: required and checked when the provider is {@code remote}. */
  private static Remote remote(Config f) {
    String rawUrl = f.getString("sandbox.remote.url").trim();
    if (rawUrl.isEmpty()) {
      throw new MissingSettingException(
          "FOUNDRY_SANDBOX_REMOTE_URL",
          "foundry.sandbox.remote.url",
          "FOUNDRY_SANDBOX_PROVIDER=remote drives a sandbox-agent server that runs elsewhere:"
              + " give its base URL, for example http://sandbox-agent:2468");
    }
    java.net.URI url;
    String expected = "an http:// or https:// URL with a host and no user, query or fragment";
    try {
      url = new java.net.URI(rawUrl);
    } catch (java.net.URISyntaxException e) {
      throw new InvalidSettingException(
          "FOUNDRY_SANDBOX_REMOTE_URL", "foundry.sandbox.remote.url", rawUrl, expected);
    }
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (url.getRawUserInfo() != null) {
      // Never echo credentials embedded in a URL.
      throw new InvalidSettingException(
          "FOUNDRY_SANDBOX_REMOTE_URL",
          "foundry.sandbox.remote.url",
          "<a URL with a user part>",
          expected + " (the token goes in FOUNDRY_SANDBOX_REMOTE_TOKEN)");
    }
    if (!(scheme.equals("http") || scheme.equals("https"))
        || url.getHost() == null
        || url.getRawQuery() != null
        || url.getRawFragment() != null) {
      throw new InvalidSettingException(
          "FOUNDRY_SANDBOX_REMOTE_URL", "foundry.sandbox.remote.url", rawUrl, expected);
    }
    String token = f.getString("sandbox.remote.token").trim();
    if (token.isEmpty()) {
      throw new MissingSettingException(
          "FOUNDRY_SANDBOX_REMOTE_TOKEN",
          "foundry.sandbox.remote.token",
          "FOUNDRY_SANDBOX_PROVIDER=remote needs the bearer token of the sandbox-agent server at "
              + rawUrl
              + " (its --token); a server without one answers anyone who reaches it");
    }
    String root = f.getString("sandbox.remote.root").trim();
    if (!root.matches("/[A-Za-z0-9._/-]*[A-Za-z0-9._-]")
        || root.contains("/../")
        || root.endsWith("/..")) {
      throw new InvalidSettingException(
          "FOUNDRY_SANDBOX_REMOTE_ROOT",
          "foundry.sandbox.remote.root",
          root,
          "an absolute directory on the sandbox-agent server (letters, digits, '.', '_', '-',"
              + " '/'; not / itself, no trailing /)");
    }
    return new Remote(url, token, root);
  }

  /** {@code foundry.sandbox.root}, or {@code <data-dir>-sandboxes}; never in the data directory. */
  private static Path sandboxRoot(Config f, Path dataDir) {
    String raw = f.getString("sandbox.root").trim();
    Path root;
    if (raw.isEmpty()) {
      Path name = dataDir.getFileName();
      root =
          name == null
              ? dataDir.resolve("sandboxes")
              : dataDir.resolveSibling(name.toString() + "-sandboxes");
    } else {
      root = Path.of(raw).toAbsolutePath().normalize();
    }
    if (root.startsWith(dataDir) || dataDir.startsWith(root)) {
      throw new InvalidSettingException(
          "FOUNDRY_SANDBOX_ROOT",
          "foundry.sandbox.root",
          raw.isEmpty() ? root.toString() : raw,
          "a directory outside the data directory "
              + dataDir
              + " (FOUNDRY_DATA_DIR) that does not contain it either");
    }
    return root;
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

  private static Duration notNegative(Config f, String path, String env) {
    String raw = f.getValue(path).unwrapped().toString();
    try {
      Duration d = f.getDuration(path);
      if (!d.isNegative()) {
        return d;
      }
    } catch (ConfigException.BadValue e) {
      // reported below
    }
    throw new InvalidSettingException(
        env, "foundry." + path, raw, "a duration of 0 or more like 50ms");
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

  /** A size such as {@code 512m} or {@code 4g}; 0 allowed. */
  private static long bytes(Config f, String path, String env) {
    try {
      long n = f.getBytes(path);
      if (n >= 0) {
        return n;
      }
    } catch (ConfigException e) {
      // reported below
    }
    throw new InvalidSettingException(
        env,
        "foundry." + path,
        f.getValue(path).unwrapped().toString(),
        "a size such as 512m or 4g, or 0 for none");
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
