package dev.foundry.backend.github;

import static org.assertj.core.api.Assertions.assertThat;

import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** A browser signing in with GitHub against a Foundry server and a {@link FakeGitHub}. */
public final class GithubBrowser {
  public static final String APP_URL = "http://localhost:4173";
  private static final HttpClient HTTP =
      HttpClient.newBuilder()
          .connectTimeout(Duration.ofSeconds(10))
          .followRedirects(HttpClient.Redirect.NEVER)
          .build();

  private GithubBrowser() {}

  /** One browser's OAuth round trip, step by step, with the cookies it holds. */
  public static final class Round {
    public final Map<String, String> cookies = new LinkedHashMap<>();
    public URI authorize;
    public URI callback;
    private final ApiServer server;
    private final FakeGitHub github;

    public Round(ApiServer server, FakeGitHub github) {
      this.server = server;
      this.github = github;
    }

    public HttpResponse<String> get(String url) throws Exception {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).GET();
      if (!cookies.isEmpty()) {
        StringBuilder c = new StringBuilder();
        cookies.forEach((k, v) -> c.append(k).append('=').append(v).append("; "));
        b.header("Cookie", c.substring(0, c.length() - 2));
      }
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      for (String set : r.headers().allValues("set-cookie")) {
        String pair = set.split(";", 2)[0];
        String name = pair.substring(0, pair.indexOf('='));
        String value = pair.substring(pair.indexOf('=') + 1);
        if (value.isEmpty() || set.toLowerCase().contains("max-age=0")) {
          cookies.remove(name);
        } else {
          cookies.put(name, value);
        }
      }
      return r;
    }

    /** Starts at Foundry, authorizes at GitHub: {@link #callback} is where GitHub sends back. */
    public HttpResponse<String> toGitHubAndBack(FakeGitHub.User user, String redirectTo)
        throws Exception {
      github.signInAtGitHub(user);
      HttpResponse<String> start =
          get(
              server.base()
                  + "/v1/auth/sign-in/github"
                  + (redirectTo == null ? "" : "?redirectTo=" + enc(redirectTo)));
      assertThat(start.statusCode()).as(start.body()).isEqualTo(302);
      authorize = URI.create(start.headers().firstValue("location").orElseThrow());
      HttpResponse<String> atGitHub = get(authorize.toString());
      assertThat(atGitHub.statusCode()).isEqualTo(302);
      URI back = URI.create(atGitHub.headers().firstValue("location").orElseThrow());
      // GitHub sends the browser to the registered callback; here it is this server's port.
      callback = URI.create(server.base() + back.getPath() + "?" + back.getRawQuery());
      return atGitHub;
    }

    public HttpResponse<String> callback() throws Exception {
      return get(callback.toString());
    }

    public String session() {
      return cookies.get("foundry_session");
    }
  }

  /** A browser of {@code user}, signed in with GitHub. */
  public static Browser signedIn(ApiServer server, FakeGitHub github, FakeGitHub.User user)
      throws Exception {
    Round round = new Round(server, github);
    round.toGitHubAndBack(user, null);
    HttpResponse<String> done = round.callback();
    assertThat(done.statusCode()).isEqualTo(302);
    assertThat(location(done)).isEqualTo(APP_URL + "/organizations");
    return server.browser().withCookie(round.session());
  }

  public static Map<String, String> query(URI uri) {
    Map<String, String> q = new LinkedHashMap<>();
    for (String pair : uri.getRawQuery().split("&")) {
      String[] kv = pair.split("=", 2);
      q.put(kv[0], URLDecoder.decode(kv.length > 1 ? kv[1] : "", StandardCharsets.UTF_8));
    }
    return q;
  }

  public static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  public static String location(HttpResponse<String> r) {
    return r.headers().firstValue("location").orElse("");
  }
}
