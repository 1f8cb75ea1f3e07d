package dev.foundry.backend.http;

import java.net.URI;
import java.util.Locale;

/**
 * The frontend's origin ({@code scheme://host[:port]}) taken from {@code APP_URL}, compared with a
 * request's {@code Origin} header the way browsers serialize it: lower-case scheme and host, no
 * default port, no path.
 */
public record AppOrigin(String value) {

  public static AppOrigin of(String appUrl) {
    return new AppOrigin(normalize(appUrl));
  }

  /** True when {@code origin} (an {@code Origin} header) names this origin. */
  public boolean matches(String origin) {
    try {
      return value.equals(normalize(origin.trim()));
    } catch (IllegalArgumentException e) {
      return false; // "null", garbage: never the app
    }
  }

  private static String normalize(String url) {
    URI uri = URI.create(url);
    if (uri.getScheme() == null || uri.getHost() == null) {
      throw new IllegalArgumentException("not an absolute http(s) URL: " + url);
    }
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    int port = uri.getPort();
    boolean defaultPort =
        port == -1
            || (scheme.equals("http") && port == 80)
            || (scheme.equals("https") && port == 443);
    return scheme
        + "://"
        + uri.getHost().toLowerCase(Locale.ROOT)
        + (defaultPort ? "" : ":" + port);
  }
}
