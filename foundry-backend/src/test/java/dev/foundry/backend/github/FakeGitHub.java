package dev.foundry.backend.github;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.auth0.jwt.interfaces.DecodedJWT;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;

/**
 * A local GitHub for tests, on one loopback port shaped like GitHub Enterprise Server: the web side
 * ({@code GITHUB_SERVER_URL}: OAuth authorize and token exchange, git smart HTTP through {@code git
 * http-backend}) at the root, the REST API ({@code GITHUB_API_URL}) under {@code /api/v3}. Payloads
 * follow GitHub's documented shapes; requests are recorded for assertions.
 */
public final class FakeGitHub implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A GitHub user: their token and their organization memberships (login to role). */
  public static final class User {
    public final long id;
    public final String login;
    public final String email;
    public volatile String token;
    public final Map<String, String> organizations = new ConcurrentHashMap<>();

    User(long id, String login, String email) {
      this.id = id;
      this.login = login;
      this.email = email;
      this.token = "gho_" + UUID.randomUUID().toString().replace("-", "");
    }
  }

  /** One request as the fake saw it. */
  public record Seen(String method, String path, Map<String, String> headers) {}

  private record Grant(User user, String challenge, String redirectUri, String clientId) {}

  public final String clientId = "Iv1.fakeclient";
  public final String clientSecret = "fake-client-secret";
  public final String appId = "4242";
  public final KeyPair appKey;

  private final HttpServer server;
  private final Path gitRoot;
  private final Map<String, User> users = new ConcurrentHashMap<>();
  private final Map<String, Grant> codes = new ConcurrentHashMap<>();
  private final Map<Long, String> installations = new ConcurrentHashMap<>();
  private final Map<Long, String> installationTypes = new ConcurrentHashMap<>();
  private final Map<String, List<String>> repoMembers = new ConcurrentHashMap<>();
  private final Queue<String> scriptedLimits = new ConcurrentLinkedQueue<>();
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private final Map<String, List<String>> gitAuthorizations = new ConcurrentHashMap<>();
  private final AtomicInteger notModified = new AtomicInteger();
  private final AtomicInteger installationTokensIssued = new AtomicInteger();
  private final AtomicInteger nextId = new AtomicInteger(1000);
  private final Map<String, Long> installationTokens = new ConcurrentHashMap<>();
  private final Map<String, ObjectNode> repositories = new ConcurrentHashMap<>();
  private final Map<String, Map<Integer, ObjectNode>> pulls = new ConcurrentHashMap<>();
  private final AtomicInteger nextPullNumber = new AtomicInteger(1);
  private volatile java.util.concurrent.CountDownLatch pullListingGate;
  private volatile User signedInAtGitHub;
  private volatile boolean denyConsent;
  private volatile long installationTokenLifetimeSeconds = 3600;
  private volatile int itemsPerPage = 30;

  public FakeGitHub(Path dir) throws Exception {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
    generator.initialize(2048);
    this.appKey = generator.generateKeyPair();
    this.gitRoot = dir.resolve("fake-github-git");
    Files.createDirectories(gitRoot);
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(Executors.newFixedThreadPool(8));
    server.start();
  }

  public String serverUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  public String apiUrl() {
    return serverUrl() + "/api/v3";
  }

  /** The environment a Foundry server needs to use this GitHub for sign-in and the app. */
  public Map<String, String> environment() {
    Map<String, String> env = new HashMap<>();
    env.put("GITHUB_SERVER_URL", serverUrl());
    env.put("GITHUB_API_URL", apiUrl());
    env.put("GITHUB_CLIENT_ID", clientId);
    env.put("GITHUB_CLIENT_SECRET", clientSecret);
    env.put("GITHUB_APP_ID", appId);
    env.put("GITHUB_APP_PRIVATE_KEY", pkcs8Pem());
    env.put("FOUNDRY_DEV_AUTH", "false");
    return env;
  }

  public User user(String login, String email) {
    User u = new User(nextId.incrementAndGet(), login, email);
    users.put(login, u);
    return u;
  }

  /** The user the browser is signed in as at GitHub: who the next authorize grants. */
  public void signInAtGitHub(User user) {
    this.signedInAtGitHub = user;
  }

  public void denyConsent(boolean deny) {
    this.denyConsent = deny;
  }

  public void join(User user, String organization, String role) {
    user.organizations.put(organization, role);
  }

  public void leave(User user, String organization) {
    user.organizations.remove(organization);
  }

  /** Installs the app on an account ({@code Organization} or {@code User}); answers its id. */
  public long install(String accountLogin, String accountType) {
    long id = nextId.incrementAndGet();
    installations.put(id, accountLogin);
    installationTypes.put(id, accountType);
    return id;
  }

  public void installationTokenLifetime(long seconds) {
    this.installationTokenLifetimeSeconds = seconds;
  }

  public void itemsPerPage(int n) {
    this.itemsPerPage = n;
  }

  /**
   * The next API request answers a rate limit: {@code primary} (403, remaining 0, reset in 1 s) or
   * {@code secondary} (429 with {@code Retry-After: 1}).
   */
  public void rateLimitNext(String kind) {
    scriptedLimits.add(kind);
  }

  public List<Seen> seen() {
    return List.copyOf(seen);
  }

  public long count(String method, String pathPrefix) {
    return seen.stream()
        .filter(s -> s.method().equals(method) && s.path().startsWith(pathPrefix))
        .count();
  }

  public int notModifiedAnswers() {
    return notModified.get();
  }

  public int installationTokensIssued() {
    return installationTokensIssued.get();
  }

  /** The user names git presented for {@code owner/repo}, in order (basic auth). */
  public List<String> gitUsers(String fullName) {
    return gitAuthorizations.getOrDefault(fullName, List.of());
  }

  /**
   * A private repository {@code owner/name} served over smart HTTP at {@code
   * <server>/owner/name.git}, readable and writable only with the token of one of {@code members},
   * with one commit on {@code main}.
   */
  public String privateRepository(String fullName, User... members) throws Exception {
    Path bare = gitRoot.resolve(fullName + ".git");
    Files.createDirectories(bare.getParent());
    run(gitRoot, "git", "init", "--bare", "-q", "-b", "main", bare.toString());
    run(bare, "git", "config", "http.receivepack", "true");
    Path work = Files.createTempDirectory(gitRoot, "seed");
    run(work, "git", "init", "-q", "-b", "main");
    Files.writeString(work.resolve("README.md"), "# " + fullName + "\n");
    run(work, "git", "add", "README.md");
    run(
        work,
        "git",
        "-c",
        "user.name=Seed",
        "-c",
        "user.email=seed@example.com",
        "commit",
        "-q",
        "-m",
        "first");
    run(work, "git", "push", "-q", bare.toString(), "main");
    List<String> logins = new ArrayList<>();
    for (User m : members) {
      logins.add(m.login);
    }
    repoMembers.put(fullName, logins);
    return serverUrl() + "/" + fullName + ".git";
  }

  /** The commits on {@code branch} of a served repository, newest first (subjects). */
  public List<String> log(String fullName, String branch) throws Exception {
    Path bare = gitRoot.resolve(fullName + ".git");
    String out = run(bare, "git", "log", "--format=%s", branch);
    return out.isBlank() ? List.of() : List.of(out.strip().split("\n"));
  }

  // --- repositories and pull requests (REST) ---------------------------------------------------

  /**
   * A repository {@code owner/name} GitHub lists for the installation on {@code owner} (and its
   * pull requests): GitHub's repository object, with {@code clone_url} on this server.
   */
  public ObjectNode repository(String fullName, boolean isPrivate) {
    ObjectNode r = JSON.createObjectNode();
    String owner = fullName.substring(0, fullName.indexOf('/'));
    r.put("id", nextId.incrementAndGet());
    r.put("name", fullName.substring(fullName.indexOf('/') + 1));
    r.put("full_name", fullName);
    r.put("private", isPrivate);
    r.put("default_branch", "main");
    r.put("clone_url", serverUrl() + "/" + fullName + ".git");
    r.put("html_url", serverUrl() + "/" + fullName);
    r.putObject("owner").put("login", owner).put("type", "User");
    repositories.put(fullName, r);
    pulls.putIfAbsent(fullName, new ConcurrentHashMap<>());
    return r;
  }

  /** Gone from GitHub (deleted, or no longer granted to the installation). */
  public void removeRepository(String fullName) {
    repositories.remove(fullName);
    pulls.remove(fullName);
  }

  /** An open pull request from {@code head} into {@code main}: GitHub's pull request object. */
  public ObjectNode openPullRequest(String fullName, String head, String title, String author) {
    int number = nextPullNumber.getAndIncrement();
    ObjectNode p = JSON.createObjectNode();
    p.put("id", nextId.incrementAndGet());
    p.put("number", number);
    p.put("state", "open");
    p.put("title", title);
    p.put("body", "body of " + title);
    p.put("draft", false);
    p.put("merged", false);
    p.putNull("merged_at");
    p.put("html_url", serverUrl() + "/" + fullName + "/pull/" + number);
    p.put("updated_at", Instant.now().toString());
    p.putObject("head").put("ref", head);
    p.putObject("base").put("ref", "main");
    p.putObject("user").put("login", author);
    pulls.get(fullName).put(number, p);
    return p;
  }

  /** Edits a pull request's title. */
  public ObjectNode retitlePullRequest(String fullName, int number, String title) {
    ObjectNode p = pulls.get(fullName).get(number);
    p.put("title", title);
    p.put("updated_at", Instant.now().plusMillis(1).toString());
    return p;
  }

  /** Closes a pull request, merged or not. */
  public ObjectNode closePullRequest(String fullName, int number, boolean merged) {
    ObjectNode p = pulls.get(fullName).get(number);
    p.put("state", "closed");
    p.put("merged", merged);
    if (merged) {
      p.put("merged_at", Instant.now().toString());
    }
    p.put("updated_at", Instant.now().plusMillis(2).toString());
    return p;
  }

  /**
   * While set, listing a repository's pull requests waits for the latch (a sync held in its
   * pull-request phase, e.g. to stop the server there).
   */
  public void holdPullRequestListing(java.util.concurrent.CountDownLatch gate) {
    this.pullListingGate = gate;
  }

  public String pkcs8Pem() {
    return "-----BEGIN PRIVATE KEY-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes())
            .encodeToString(appKey.getPrivate().getEncoded())
        + "\n-----END PRIVATE KEY-----\n";
  }

  public String pkcs1Pem() throws IOException {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
      writer.writeObject(appKey.getPrivate());
    }
    return out.toString();
  }

  /** Verifies an app JWT as GitHub does: RS256 with the app's key, issuer the app id, <= 10 min. */
  public DecodedJWT verifyAppJwt(String jwt) {
    DecodedJWT decoded =
        JWT.require(
                Algorithm.RSA256(
                    (RSAPublicKey) appKey.getPublic(), (RSAPrivateKey) appKey.getPrivate()))
            .withIssuer(appId)
            .acceptLeeway(60)
            .build()
            .verify(jwt);
    long lifetime =
        decoded.getExpiresAtAsInstant().getEpochSecond()
            - decoded.getIssuedAtAsInstant().getEpochSecond();
    if (lifetime > 600) {
      throw new IllegalArgumentException("JWT lives longer than 10 minutes: " + lifetime + "s");
    }
    return decoded;
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }

  // --- the server ----------------------------------------------------------------------------

  private void handle(HttpExchange ex) throws IOException {
    try {
      String path = ex.getRequestURI().getPath();
      Map<String, String> headers = new LinkedHashMap<>();
      ex.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), v.get(0)));
      seen.add(new Seen(ex.getRequestMethod(), path, headers));
      if (path.equals("/login/oauth/authorize")) {
        authorize(ex);
      } else if (path.equals("/login/oauth/access_token")) {
        accessToken(ex);
      } else if (path.startsWith("/api/v3/")) {
        api(ex, path.substring("/api/v3".length()));
      } else if (path.contains(".git/")) {
        git(ex, path);
      } else {
        json(ex, 404, message("Not Found"));
      }
    } catch (Exception e) {
      json(ex, 500, message("fake failed: " + e));
    } finally {
      ex.close();
    }
  }

  private void authorize(HttpExchange ex) throws IOException {
    Map<String, String> q = query(ex.getRequestURI().getRawQuery());
    String redirect = q.get("redirect_uri");
    String state = q.get("state");
    if (denyConsent) {
      redirect(
          ex,
          redirect
              + "?error=access_denied&error_description="
              + enc("The user has denied your application access.")
              + "&state="
              + enc(state));
      return;
    }
    if (!clientId.equals(q.get("client_id")) || !"S256".equals(q.get("code_challenge_method"))) {
      json(ex, 400, message("bad authorize request"));
      return;
    }
    String code = UUID.randomUUID().toString().replace("-", "").substring(0, 20);
    codes.put(code, new Grant(signedInAtGitHub, q.get("code_challenge"), redirect, clientId));
    redirect(ex, redirect + "?code=" + code + "&state=" + enc(state));
  }

  private void accessToken(HttpExchange ex) throws Exception {
    Map<String, String> form =
        query(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
    Grant grant = codes.remove(form.getOrDefault("code", ""));
    ObjectNode body = JSON.createObjectNode();
    if (grant == null
        || !clientSecret.equals(form.get("client_secret"))
        || !grant.clientId().equals(form.get("client_id"))
        || !grant.redirectUri().equals(form.get("redirect_uri"))
        || !grant.challenge().equals(s256(form.getOrDefault("code_verifier", "")))) {
      body.put("error", "bad_verification_code");
      body.put("error_description", "The code passed is incorrect or expired.");
      json(ex, 200, body);
      return;
    }
    body.put("access_token", grant.user().token);
    body.put("token_type", "bearer");
    body.put("scope", "read:org,repo");
    json(ex, 200, body);
  }

  private void api(HttpExchange ex, String path) throws Exception {
    String limit = scriptedLimits.poll();
    if (limit != null) {
      if (limit.equals("primary")) {
        ex.getResponseHeaders().add("X-RateLimit-Limit", "5000");
        ex.getResponseHeaders().add("X-RateLimit-Remaining", "0");
        ex.getResponseHeaders()
            .add("X-RateLimit-Reset", String.valueOf(Instant.now().getEpochSecond() + 1));
        json(ex, 403, message("API rate limit exceeded for user."));
      } else {
        ex.getResponseHeaders().add("Retry-After", "1");
        json(ex, 429, message("You have exceeded a secondary rate limit."));
      }
      return;
    }
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    String bearer = auth != null && auth.startsWith("Bearer ") ? auth.substring(7) : "";
    if (path.startsWith("/app/")) {
      try {
        verifyAppJwt(bearer);
      } catch (RuntimeException e) {
        json(ex, 401, message("A JSON web token could not be decoded"));
        return;
      }
      appApi(ex, path);
      return;
    }
    Long installation = installationTokens.get(bearer);
    if (installation != null) {
      ex.getResponseHeaders().add("X-RateLimit-Limit", "5000");
      ex.getResponseHeaders().add("X-RateLimit-Remaining", "4999");
      installationApi(ex, path, installations.get(installation));
      return;
    }
    User user =
        users.values().stream().filter(u -> u.token.equals(bearer)).findFirst().orElse(null);
    if (user == null) {
      json(ex, 401, message("Bad credentials"));
      return;
    }
    ex.getResponseHeaders().add("X-RateLimit-Limit", "5000");
    ex.getResponseHeaders().add("X-RateLimit-Remaining", "4999");
    if (path.matches("/repos/[^/]+/[^/]+/pulls") && ex.getRequestMethod().equals("POST")) {
      createPullRequest(
          ex, user, path.substring("/repos/".length(), path.length() - "/pulls".length()));
      return;
    }
    switch (path) {
      case "/user" -> {
        ObjectNode u = JSON.createObjectNode();
        u.put("login", user.login);
        u.put("id", user.id);
        u.put("avatar_url", "https://avatars.example/u/" + user.id);
        u.put("type", "User");
        u.put("name", user.login.toUpperCase());
        u.putNull("email");
        conditional(ex, u);
      }
      case "/user/emails" -> {
        ArrayNode a = JSON.createArrayNode();
        a.addObject().put("email", "old-" + user.email).put("primary", false).put("verified", true);
        a.addObject().put("email", user.email).put("primary", true).put("verified", true);
        paginated(ex, a);
      }
      case "/user/memberships/orgs" -> {
        ArrayNode a = JSON.createArrayNode();
        user.organizations.forEach(
            (org, role) -> {
              ObjectNode m = a.addObject();
              m.put("state", "active");
              m.put("role", role);
              m.putObject("organization").put("login", org).put("id", org.hashCode() & 0xffff);
            });
        paginated(ex, a);
      }
      case "/user/installations" -> {
        ArrayNode a = JSON.createArrayNode();
        installations.forEach(
            (id, account) -> {
              if (account.equals(user.login) || user.organizations.containsKey(account)) {
                a.add(installation(id));
              }
            });
        ObjectNode page = JSON.createObjectNode();
        page.put("total_count", a.size());
        page.set("installations", a);
        conditional(ex, page);
      }
      case "/user/repos" -> {
        ArrayNode a = JSON.createArrayNode();
        for (int i = 1; i <= 7; i++) {
          a.addObject().put("id", i).put("full_name", user.login + "/repo-" + i);
        }
        paginated(ex, a);
      }
      default -> json(ex, 404, message("Not Found"));
    }
  }

  /**
   * {@code POST /repos/<full>/pulls} as GitHub answers it: 404 to a user who may not see the
   * repository, 422 for a missing head branch, a head without commits beyond the base, or a head
   * that already has an open pull request; 201 and the pull request otherwise.
   */
  private void createPullRequest(HttpExchange ex, User user, String fullName) throws Exception {
    List<String> members = repoMembers.get(fullName);
    if (members == null || !members.contains(user.login)) {
      json(ex, 404, message("Not Found"));
      return;
    }
    var body = JSON.readTree(ex.getRequestBody().readAllBytes());
    String head = body.path("head").asText();
    String base = body.path("base").asText("main");
    Path bare = gitRoot.resolve(fullName + ".git");
    String count;
    try {
      count = run(bare, "git", "rev-list", "--count", base + ".." + head).strip();
    } catch (IllegalStateException e) {
      ObjectNode invalid = message("Validation Failed");
      invalid
          .putArray("errors")
          .addObject()
          .put("resource", "PullRequest")
          .put("field", "head")
          .put("code", "invalid");
      json(ex, 422, invalid);
      return;
    }
    Map<Integer, ObjectNode> prs = pulls.computeIfAbsent(fullName, k -> new ConcurrentHashMap<>());
    String refused = null;
    if (count.equals("0")) {
      refused = "No commits between " + base + " and " + head;
    } else if (prs.values().stream()
        .anyMatch(
            p ->
                p.path("state").asText().equals("open")
                    && p.path("head").path("ref").asText().equals(head))) {
      refused = "A pull request already exists for " + fullName.split("/")[0] + ":" + head + ".";
    }
    if (refused != null) {
      ObjectNode invalid = message("Validation Failed");
      invalid
          .putArray("errors")
          .addObject()
          .put("resource", "PullRequest")
          .put("code", "custom")
          .put("message", refused);
      json(ex, 422, invalid);
      return;
    }
    ObjectNode p = openPullRequest(fullName, head, body.path("title").asText(), user.login);
    p.put("body", body.path("body").asText());
    p.with("base").put("ref", base);
    json(ex, 201, p);
  }

  /** What an installation token reaches: the account's repositories, members, pull requests. */
  private void installationApi(HttpExchange ex, String path, String account) throws Exception {
    if (path.equals("/installation/repositories")) {
      ArrayNode a = JSON.createArrayNode();
      repositories.values().stream()
          .filter(r -> r.path("owner").path("login").asText().equals(account))
          .sorted(java.util.Comparator.comparing(r -> r.path("full_name").asText()))
          .forEach(a::add);
      paginated(ex, a, "repositories");
      return;
    }
    if (path.equals("/orgs/" + account + "/members")) {
      ArrayNode a = JSON.createArrayNode();
      users.values().stream()
          .filter(u -> u.organizations.containsKey(account))
          .forEach(u -> a.addObject().put("login", u.login).put("id", u.id).put("type", "User"));
      paginated(ex, a);
      return;
    }
    if (path.matches("/repos/[^/]+/[^/]+/pulls")) {
      String fullName = path.substring("/repos/".length(), path.length() - "/pulls".length());
      Map<Integer, ObjectNode> prs = pulls.get(fullName);
      if (prs == null || !fullName.startsWith(account + "/")) {
        json(ex, 404, message("Not Found"));
        return;
      }
      java.util.concurrent.CountDownLatch gate = pullListingGate;
      if (gate != null) {
        gate.await(60, TimeUnit.SECONDS);
      }
      ArrayNode a = JSON.createArrayNode();
      prs.values().stream()
          .filter(p -> p.path("state").asText().equals("open"))
          .sorted(java.util.Comparator.comparing(p -> p.path("number").asInt()))
          .forEach(a::add);
      paginated(ex, a);
      return;
    }
    json(ex, 404, message("Not Found"));
  }

  private ObjectNode installation(long id) {
    ObjectNode i = JSON.createObjectNode();
    i.put("id", id);
    i.putObject("account")
        .put("login", installations.get(id))
        .put("type", installationTypes.get(id));
    i.put("target_type", installationTypes.get(id));
    return i;
  }

  private void appApi(HttpExchange ex, String path) throws IOException {
    if (path.equals("/app/installations") && ex.getRequestMethod().equals("GET")) {
      ArrayNode a = JSON.createArrayNode();
      installations.keySet().forEach(id -> a.add(installation(id)));
      paginated(ex, a);
      return;
    }
    if (path.matches("/app/installations/\\d+/access_tokens")
        && ex.getRequestMethod().equals("POST")) {
      long id = Long.parseLong(path.split("/")[3]);
      if (!installations.containsKey(id)) {
        json(ex, 404, message("Not Found"));
        return;
      }
      installationTokensIssued.incrementAndGet();
      ObjectNode t = JSON.createObjectNode();
      String token = "ghs_" + UUID.randomUUID().toString().replace("-", "");
      installationTokens.put(token, id);
      t.put("token", token);
      t.put("expires_at", Instant.now().plusSeconds(installationTokenLifetimeSeconds).toString());
      json(ex, 201, t);
      return;
    }
    json(ex, 404, message("Not Found"));
  }

  /** {@code ETag} on every GET; a matching {@code If-None-Match} answers 304 without a body. */
  private void conditional(HttpExchange ex, Object body) throws IOException {
    byte[] bytes = JSON.writeValueAsBytes(body);
    String etag = "\"" + sha256(bytes).substring(0, 20) + "\"";
    ex.getResponseHeaders().add("ETag", etag);
    if (etag.equals(ex.getRequestHeaders().getFirst("If-None-Match"))) {
      notModified.incrementAndGet();
      ex.sendResponseHeaders(304, -1);
      return;
    }
    send(ex, 200, bytes);
  }

  /** Pages of {@code per_page} (at most the fake's page size) with GitHub's {@code Link}. */
  private void paginated(HttpExchange ex, ArrayNode all) throws IOException {
    paginated(ex, all, null);
  }

  /** Like GitHub's wrapped lists ({@code {"total_count", "<key>": [...]}}) when key is set. */
  private void paginated(HttpExchange ex, ArrayNode all, String key) throws IOException {
    Map<String, String> q = query(ex.getRequestURI().getRawQuery());
    int perPage = Math.min(itemsPerPage, Integer.parseInt(q.getOrDefault("per_page", "30")));
    int page = Integer.parseInt(q.getOrDefault("page", "1"));
    ArrayNode slice = JSON.createArrayNode();
    for (int i = (page - 1) * perPage; i < Math.min(all.size(), page * perPage); i++) {
      slice.add(all.get(i));
    }
    if (page * perPage < all.size()) {
      q.put("page", String.valueOf(page + 1));
      StringBuilder next = new StringBuilder(serverUrl() + ex.getRequestURI().getPath() + "?");
      q.forEach((k, v) -> next.append(enc(k)).append('=').append(enc(v)).append('&'));
      ex.getResponseHeaders()
          .add("Link", "<" + next.substring(0, next.length() - 1) + ">; rel=\"next\"");
    }
    if (key == null) {
      conditional(ex, slice);
    } else {
      ObjectNode wrapped = JSON.createObjectNode();
      wrapped.put("total_count", all.size());
      wrapped.set(key, slice);
      conditional(ex, wrapped);
    }
  }

  // --- git smart HTTP ------------------------------------------------------------------------

  private void git(HttpExchange ex, String path) throws Exception {
    String fullName = path.substring(1, path.indexOf(".git/"));
    List<String> members = repoMembers.get(fullName);
    if (members == null) {
      json(ex, 404, message("Repository not found."));
      return;
    }
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    User user = null;
    if (auth != null && auth.startsWith("Basic ")) {
      String[] pair =
          new String(Base64.getDecoder().decode(auth.substring(6)), StandardCharsets.UTF_8)
              .split(":", 2);
      if (pair.length == 2) {
        user =
            users.values().stream()
                .filter(u -> u.token.equals(pair[1]) && members.contains(u.login))
                .findFirst()
                .orElse(null);
        gitAuthorizations
            .computeIfAbsent(fullName, k -> new CopyOnWriteArrayList<>())
            .add(pair[0] + (user == null ? " (refused)" : ""));
      }
    }
    if (user == null) {
      ex.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"GitHub\"");
      send(ex, 401, "Invalid username or token.".getBytes(StandardCharsets.UTF_8));
      return;
    }
    ProcessBuilder cgi = new ProcessBuilder("git", "http-backend");
    Map<String, String> env = cgi.environment();
    env.put("GIT_PROJECT_ROOT", gitRoot.toString());
    env.put("GIT_HTTP_EXPORT_ALL", "1");
    env.put("PATH_INFO", path);
    env.put("REQUEST_METHOD", ex.getRequestMethod());
    env.put(
        "QUERY_STRING",
        ex.getRequestURI().getRawQuery() == null ? "" : ex.getRequestURI().getRawQuery());
    env.put("REMOTE_USER", user.login);
    env.put("REMOTE_ADDR", "127.0.0.1");
    String type = ex.getRequestHeaders().getFirst("Content-Type");
    if (type != null) {
      env.put("CONTENT_TYPE", type);
    }
    String encoding = ex.getRequestHeaders().getFirst("Content-Encoding");
    if (encoding != null) {
      env.put("HTTP_CONTENT_ENCODING", encoding);
    }
    String protocol = ex.getRequestHeaders().getFirst("Git-Protocol");
    if (protocol != null) {
      env.put("GIT_PROTOCOL", protocol);
    }
    byte[] input = ex.getRequestBody().readAllBytes();
    env.put("CONTENT_LENGTH", String.valueOf(input.length));
    Process process = cgi.redirectError(ProcessBuilder.Redirect.DISCARD).start();
    try (OutputStream in = process.getOutputStream()) {
      in.write(input);
    }
    byte[] output;
    try (InputStream out = process.getInputStream()) {
      output = out.readAllBytes();
    }
    process.waitFor(60, TimeUnit.SECONDS);
    int split = indexOf(output, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    int skip = 4;
    if (split < 0) {
      split = indexOf(output, "\n\n".getBytes(StandardCharsets.US_ASCII));
      skip = 2;
    }
    String head = new String(output, 0, Math.max(split, 0), StandardCharsets.ISO_8859_1);
    int status = 200;
    for (String line : head.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (colon <= 0) {
        continue;
      }
      String name = line.substring(0, colon).trim();
      String value = line.substring(colon + 1).trim();
      if (name.equalsIgnoreCase("Status")) {
        status = Integer.parseInt(value.split(" ")[0]);
      } else {
        ex.getResponseHeaders().add(name, value);
      }
    }
    byte[] body = new byte[output.length - split - skip];
    System.arraycopy(output, split + skip, body, 0, body.length);
    send(ex, status, body);
  }

  private static int indexOf(byte[] data, byte[] pattern) {
    outer:
    for (int i = 0; i <= data.length - pattern.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  // --- helpers -------------------------------------------------------------------------------

  private static ObjectNode message(String text) {
    return JSON.createObjectNode()
        .put("message", text)
        .put("documentation_url", "https://docs.github.com/rest");
  }

  private static void json(HttpExchange ex, int status, Object body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    send(ex, status, JSON.writeValueAsBytes(body));
  }

  private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
    ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
    if (body.length > 0) {
      ex.getResponseBody().write(body);
    }
  }

  private static void redirect(HttpExchange ex, String location) throws IOException {
    ex.getResponseHeaders().set("Location", location);
    ex.sendResponseHeaders(302, -1);
  }

  static Map<String, String> query(String raw) {
    Map<String, String> q = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return q;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = eq < 0 ? pair : pair.substring(0, eq);
      String v = eq < 0 ? "" : pair.substring(eq + 1);
      q.put(
          URLDecoder.decode(k, StandardCharsets.UTF_8),
          URLDecoder.decode(v, StandardCharsets.UTF_8));
    }
    return q;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s == null ? "" : s, StandardCharsets.UTF_8);
  }

  static String s256(String verifier) throws Exception {
    byte[] d =
        MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
    return Base64.getUrlEncoder().withoutPadding().encodeToString(d);
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String run(Path dir, String... command) throws Exception {
    Process p =
        new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    p.getInputStream().transferTo(out);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", command) + ": " + out);
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
