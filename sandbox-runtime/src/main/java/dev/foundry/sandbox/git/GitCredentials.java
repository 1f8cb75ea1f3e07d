package dev.foundry.sandbox.git;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A login for one git host, as it goes into a credential-store file: {@code
 * https://user:token@host}. For GitHub: username {@code x-access-token} (app token) or the user's
 * login (OAuth token).
 *
 * @param url scheme, host and optional port of the remote, e.g. {@code https://github.com}
 */
public record GitCredentials(URI url, String username, String password) {

  public GitCredentials {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(username, "username");
    Objects.requireNonNull(password, "password");
    if (url.getHost() == null || url.getScheme() == null) {
      throw new IllegalArgumentException("credential url needs a scheme and host: " + url);
    }
  }

  public static GitCredentials of(String url, String username, String password) {
    return new GitCredentials(URI.create(url), username, password);
  }

  /** The line for the store file; user and password percent-encoded as git expects. */
  String storeLine() {
    return url.getScheme()
        + "://"
        + encode(username)
        + ":"
        + encode(password)
        + "@"
        + url.getHost()
        + (url.getPort() > 0 ? ":" + url.getPort() : "")
        + "\n";
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  @Override
  public String toString() {
    return "GitCredentials[" + username + "@" + url + ", password=***]";
  }
}
