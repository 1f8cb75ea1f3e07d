package dev.foundry.backend.http;

import dev.foundry.backend.metrics.HttpMetrics;
import java.util.List;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.PathMatchers;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The web console, served from the jar's {@code console/} resources: {@code GET /} is its page,
 * {@code /console/...} its scripts and styles, and {@code /admin} the operator's inspector page
 * (only when {@code FOUNDRY_ADMIN_TOKEN} is set; its data routes check the token). The pages run
 * same-origin with the API, so the session cookie, the cross-origin checks and the WebSocket's
 * {@code Origin} rule all see them as the server's own. A strict Content-Security-Policy allows
 * nothing but this origin: no inline script or style, no other host, no framing.
 */
public final class ConsoleRoutes extends AllDirectives {
  static final String CSP =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
          + " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self';"
          + " frame-ancestors 'none'";

  private static final List<HttpHeader> HEADERS =
      List.of(
          RawHeader.create("Content-Security-Policy", CSP),
          RawHeader.create("X-Content-Type-Options", "nosniff"),
          RawHeader.create("Referrer-Policy", "no-referrer"),
          RawHeader.create("X-Frame-Options", "DENY"),
          // Small files: always revalidated, so a new build is seen at once.
          RawHeader.create("Cache-Control", "no-cache"));

  private final boolean admin;

  /**
   * @param admin whether {@code /admin} is served
   */
  public ConsoleRoutes(boolean admin) {
    this.admin = admin;
  }

  public Route route() {
    Route index =
        pathSingleSlash(
            () ->
                get(
                    () ->
                        HttpMetrics.routeTemplate(
                            "/",
                            () ->
                                getFromResource(
                                    "console/index.html", ContentTypes.TEXT_HTML_UTF8))));
    Route assets =
        pathPrefix(
            "console",
            () ->
                get(
                    () ->
                        HttpMetrics.routeTemplate(
                            "/console/{file}",
                            () ->
                                getFromResourceDirectory("console", getClass().getClassLoader()))));
    Route routes =
        admin
            ? concat(
                index,
                assets,
                path(
                    PathMatchers.segment("admin"),
                    () ->
                        get(
                            () ->
                                HttpMetrics.routeTemplate(
                                    "/admin",
                                    () ->
                                        getFromResource(
                                            "console/admin.html", ContentTypes.TEXT_HTML_UTF8)))))
            : concat(index, assets);
    return respondWithHeaders(HEADERS, () -> routes);
  }
}
