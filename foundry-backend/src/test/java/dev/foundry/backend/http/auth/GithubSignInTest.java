package dev.foundry.backend.http.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.foundry.backend.github.FakeGitHub;
import dev.foundry.backend.github.GithubBrowser;
import dev.foundry.backend.github.GithubBrowser.Round;
import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.http.Browser.Answer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GitHub sign-in end to end against a local fake GitHub (GITHUB_SERVER_URL / GITHUB_API_URL): the
 * browser leaves for GitHub's authorize page, comes back to the callback, and is signed in; every
 * way the callback can go wrong ends in a redirect to the app's sign-in page.
 */
class GithubSignInTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String APP_URL = "http://localhost:4173";

  @TempDir static Path dir;
  static FakeGitHub github;
  static ApiServer server;
  static FakeGitHub.User alice;
  static FakeGitHub.User bob;
  static FakeGitHub.User carol;

  @BeforeAll
  static void start() throws Exception {
    github = new FakeGitHub(dir);
    alice = github.user("alice", "alice@acme.example");
    bob = github.user("bob", "bob@acme.example");
    carol = github.user("carol", "carol@elsewhere.example");
    github.join(alice, "acme", "admin");
    github.join(bob, "acme", "member");
    github.join(alice, "globex", "member");
    github.install("acme", "Organization");
    server = ApiServer.start(dir, github.environment());
  }

  @AfterAll
  static void stop() {
    server.close();
    github.close();
  }

  static Round round() {
    return new Round(server, github);
  }

  static Browser signedIn(FakeGitHub.User user) throws Exception {
    return GithubBrowser.signedIn(server, github, user);
  }

  static Map<String, String> query(URI uri) {
    return GithubBrowser.query(uri);
  }

  static String enc(String s) {
    return GithubBrowser.enc(s);
  }

  static String location(HttpResponse<String> r) {
    return GithubBrowser.location(r);
  }

  @Test
  void theWholeSignInUsesStateAndPkceAndLandsWhereAsked() throws Exception {
    Round round = round();
    round.toGitHubAndBack(alice, "/organizations/acme?tab=tasks");
    Map<String, String> asked = query(round.authorize);
    assertThat(round.authorize.toString())
        .startsWith(github.serverUrl() + "/login/oauth/authorize");
    assertThat(asked)
        .containsEntry("client_id", github.clientId)
        .containsEntry("scope", "read:org repo")
        .containsEntry("code_challenge_method", "S256")
        .containsEntry("redirect_uri", "http://localhost:7741/v1/auth/callback/github");
    assertThat(asked.get("state")).hasSizeGreaterThanOrEqualTo(40);
    assertThat(asked.get("code_challenge")).matches("[A-Za-z0-9_-]{43}");
    // The state is bound to this browser by a sealed HttpOnly cookie: neither the state nor the
    // verifier can be read from it.
    String sealed = round.cookies.get("foundry_github_state");
    assertThat(sealed).matches("[A-Za-z0-9_-]{100,}").doesNotContain(asked.get("state"));

    HttpResponse<String> done = round.callback();
    assertThat(done.statusCode()).isEqualTo(302);
    assertThat(location(done)).isEqualTo(APP_URL + "/organizations/acme?tab=tasks");
    assertThat(done.headers().allValues("set-cookie"))
        .anySatisfy(c -> assertThat(c).startsWith("foundry_session=").contains("HttpOnly"));
    // The exchange carried the PKCE verifier: the fake checks S256(verifier) == challenge and
    // would have refused the code otherwise.
    assertThat(github.count("POST", "/login/oauth/access_token")).isPositive();

    Browser browser = server.browser().withCookie(round.session());
    JsonNode session = ok(browser.get("/v1/auth/session")).json();
    assertThat(session.path("user").path("githubLogin").asText()).isEqualTo("alice");
    assertThat(session.path("user").path("email").asText()).isEqualTo("alice@acme.example");
    assertThat(session.path("user").path("eligibleOrganizationIds"))
        .extracting(JsonNode::asText)
        .containsExactlyInAnyOrder("personal-alice", "acme", "globex");

    // GET /v1/app: the organizations, with the app's installation state as upstream names it.
    JsonNode app = ok(browser.get("/v1/app")).json();
    Map<String, String> status = new LinkedHashMap<>();
    app.path("organizations")
        .forEach(
            o ->
                status.put(
                    o.path("id").asText(), o.path("github").path("installationStatus").asText()));
    assertThat(status)
        .containsEntry("personal-alice", "connected")
        .containsEntry("acme", "connected")
        .containsEntry("globex", "install_required");
  }

  @Test
  void theCallbackMayReachAnotherServerWithTheSameSecret() throws Exception {
    // As on another node of a cluster, or this server after a restart: nothing of the sign-in is
    // kept on the server that started it.
    ApiServer other = ApiServer.start(dir.resolve("other-node"), github.environment());
    try {
      Round round = round();
      round.toGitHubAndBack(carol, null);
      round.callback = URI.create(round.callback.toString().replace(server.base(), other.base()));
      HttpResponse<String> done = round.callback();
      assertThat(done.statusCode()).isEqualTo(302);
      assertThat(location(done)).isEqualTo(APP_URL + "/organizations");
      JsonNode session =
          ok(other.browser().withCookie(round.session()).get("/v1/auth/session")).json();
      assertThat(session.path("user").path("githubLogin").asText()).isEqualTo("carol");
    } finally {
      other.close();
    }
  }

  @Test
  void aRepeatedCallbackGetsTheSameAnswer() throws Exception {
    Round round = round();
    round.toGitHubAndBack(bob, null);
    Map<String, String> cookies = new LinkedHashMap<>(round.cookies);
    HttpResponse<String> first = round.callback();
    // A proxy retries the same request with the same cookies.
    round.cookies.clear();
    round.cookies.putAll(cookies);
    HttpResponse<String> again = round.callback();
    assertThat(again.statusCode()).isEqualTo(first.statusCode()).isEqualTo(302);
    assertThat(location(again)).isEqualTo(location(first)).isEqualTo(APP_URL + "/organizations");
    assertThat(again.headers().allValues("set-cookie"))
        .isEqualTo(first.headers().allValues("set-cookie"));
    ok(server.browser().withCookie(round.session()).get("/v1/auth/session"));
  }

  @Test
  void aReplayedStateIsRefused() throws Exception {
    Round round = round();
    round.toGitHubAndBack(alice, null);
    String stateCookie = round.cookies.get("foundry_github_state");
    assertThat(round.callback().statusCode()).isEqualTo(302);

    // Another browser presents the same callback: it holds no state cookie.
    Round other = round();
    other.callback = round.callback;
    HttpResponse<String> stranger = other.callback();
    assertThat(location(stranger)).isEqualTo(APP_URL + "/signin?error=invalid_state");
    assertThat(other.session()).isNull();

    // The same browser's state with another code: a replay, not a retry.
    Round replay = round();
    replay.cookies.put("foundry_github_state", stateCookie);
    String state = query(round.callback).get("state");
    replay.callback =
        URI.create(server.base() + "/v1/auth/callback/github?code=other&state=" + enc(state));
    HttpResponse<String> replayed = replay.callback();
    assertThat(location(replayed)).isEqualTo(APP_URL + "/signin?error=state_replayed");
    assertThat(replay.session()).isNull();
  }

  @Test
  void aForgedStateIsRefused() throws Exception {
    Round round = round();
    round.toGitHubAndBack(alice, null);
    String code = query(round.callback).get("code");
    // A state this server never issued, with this browser's cookie.
    round.callback =
        URI.create(server.base() + "/v1/auth/callback/github?code=" + code + "&state=forged");
    HttpResponse<String> forged = round.callback();
    assertThat(forged.statusCode()).isEqualTo(302);
    assertThat(location(forged)).isEqualTo(APP_URL + "/signin?error=invalid_state");
    assertThat(round.session()).isNull();

    // A cookie made up to match a made-up state: its signature is not the server's.
    Round made = round();
    made.cookies.put("foundry_github_state", "forged.c2lnbmF0dXJl");
    made.callback =
        URI.create(server.base() + "/v1/auth/callback/github?code=" + code + "&state=forged");
    assertThat(location(made.callback())).isEqualTo(APP_URL + "/signin?error=invalid_state");
    assertThat(made.session()).isNull();
  }

  @Test
  void deniedConsentEndsOnTheSignInPage() throws Exception {
    github.denyConsent(true);
    try {
      Round round = round();
      HttpResponse<String> atGitHub = round.toGitHubAndBack(carol, null);
      assertThat(location(atGitHub)).contains("error=access_denied");
      HttpResponse<String> back = round.callback();
      assertThat(back.statusCode()).isEqualTo(302);
      assertThat(location(back)).isEqualTo(APP_URL + "/signin?error=access_denied");
      assertThat(round.session()).isNull();
    } finally {
      github.denyConsent(false);
    }
  }

  @Test
  void garbageAtTheCallbackNeverAnswers500() throws Exception {
    for (String q :
        List.of(
            "",
            "?state=",
            "?code=",
            "?state=a&state=b",
            "?error=",
            "?error=server_error&state=x",
            "?unknown=1",
            "?code=x&state=" + "a".repeat(5000))) {
      HttpResponse<String> r = round().get(server.base() + "/v1/auth/callback/github" + q);
      assertThat(r.statusCode()).as(q).isLessThan(500);
      assertThat(round().get(server.base() + "/v1/auth/sign-in/github" + q).statusCode())
          .as(q)
          .isLessThan(500);
    }
  }

  @Test
  void redirectToMustStayUnderTheApp() throws Exception {
    for (String target :
        List.of("https://evil.example/x", "//evil.example/x", "http://localhost:4174/x")) {
      HttpResponse<String> r =
          round().get(server.base() + "/v1/auth/sign-in/github?redirectTo=" + enc(target));
      assertThat(r.statusCode()).as(target).isEqualTo(400);
      assertThat(JSON.readTree(r.body()).path("error").path("code").asText())
          .isEqualTo("invalid_redirect");
    }
  }

  @Test
  void anExpiredTokenAsksTheUserToSignInAgain() throws Exception {
    FakeGitHub.User dave = github.user("dave", "dave@acme.example");
    Browser browser = signedIn(dave);
    ok(browser.post("/v1/app/github/sync", null));
    dave.token = "gho_renewed_elsewhere"; // GitHub no longer accepts the stored token
    Answer refused = browser.post("/v1/app/github/sync", null);
    assertThat(refused.status()).isEqualTo(401);
    assertThat(refused.errorCode()).isEqualTo("github_token_expired");
    // The Foundry session itself is untouched; signing in again brings a working token.
    ok(browser.get("/v1/auth/session"));
    Browser again = signedIn(dave);
    ok(again.post("/v1/app/github/sync", null));
  }

  @Test
  void membersOfOneGitHubOrganizationShareItsTasksAndOthersSeeNothing() throws Exception {
    FakeGitHub.User erin = github.user("erin", "erin@initech.example");
    FakeGitHub.User frank = github.user("frank", "frank@initech.example");
    FakeGitHub.User mallory = github.user("mallory", "mallory@elsewhere.example");
    github.join(erin, "initech", "admin");
    github.join(frank, "initech", "member");
    Browser e = signedIn(erin);
    Browser f = signedIn(frank);
    Browser m = signedIn(mallory);

    JsonNode org = ok(e.get("/v1/organizations/initech")).json();
    assertThat(org.toString()).contains("initech");
    String repo =
        created(
                e.post(
                    "/v1/organizations/initech/repos",
                    "{\"remoteUrl\":\"" + server.bareRepository("initech-app") + "\"}"))
            .json()
            .path("repoId")
            .asText();
    String erinsTask = task(e, repo, "erin's work");
    String franksTask = task(f, repo, "frank's work");
    assertThat(taskIds(f)).contains(erinsTask, franksTask);
    assertThat(taskIds(e)).contains(erinsTask, franksTask);

    Answer outsider = m.get("/v1/organizations/initech/tasks");
    assertThat(outsider.status()).isEqualTo(403);
    assertThat(outsider.errorCode()).isEqualTo("not_a_member");
    assertThat(m.get("/v1/organizations/initech/tasks/" + erinsTask).status()).isEqualTo(403);

    // Frank's role is GitHub's.
    JsonNode members = ok(e.get("/v1/app")).json();
    assertThat(members.toString()).contains("\"role\":\"member\"");

    // Frank leaves initech on GitHub: the next sync takes his access and closes his sockets.
    Socket socket = Socket.open(f.cookie());
    github.leave(frank, "initech");
    ok(f.post("/v1/app/github/sync", null));
    socket.closed.get(10, TimeUnit.SECONDS);
    Answer gone = f.get("/v1/organizations/initech/tasks");
    assertThat(gone.status()).isEqualTo(403);
    assertThat(taskIds(e)).contains(franksTask);
  }

  private static String task(Browser b, String repo, String text) {
    return created(
            b.post(
                "/v1/organizations/initech/tasks",
                "{\"repoId\":\"" + repo + "\",\"task\":\"" + text + "\"}"))
        .json()
        .path("id")
        .asText();
  }

  private static List<String> taskIds(Browser b) {
    return ok(b.get("/v1/organizations/initech/tasks")).json().findValuesAsText("id");
  }

  private static Answer ok(Answer a) {
    assertThat(a.status()).as(a.toString()).isEqualTo(200);
    return a;
  }

  private static Answer created(Answer a) {
    assertThat(a.status()).as(a.toString()).isIn(200, 201);
    return a;
  }

  /** A realtime socket that records when the server closes it. */
  static final class Socket implements WebSocket.Listener {
    final CompletableFuture<Void> closed = new CompletableFuture<>();

    static Socket open(String cookie) {
      Socket s = new Socket();
      HttpClient.newHttpClient()
          .newWebSocketBuilder()
          .header("Cookie", "foundry_session=" + cookie)
          .header("Origin", APP_URL)
          .buildAsync(URI.create(server.base().replace("http://", "ws://") + "/v1/realtime"), s)
          .orTimeout(10, TimeUnit.SECONDS)
          .join();
      return s;
    }

    @Override
    public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
      closed.complete(null);
      return null;
    }

    @Override
    public void onError(WebSocket ws, Throwable error) {
      closed.complete(null);
    }
  }
}
