package dev.foundry.backend.http;

import java.util.List;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * CORS for the frontend at {@code APP_URL}, and for no other origin: its requests may carry the
 * session cookie (credentials) and read the answers. A preflight ({@code OPTIONS} with {@code
 * Access-Control-Request-Method}) from that origin is answered here, before any route; any other
 * origin gets no CORS headers, so the browser keeps the answer from the page.
 *
 * <p>A handful of headers did not justify a library (pekko-http-cors): the policy is one origin,
 * with credentials, and it is all in this class.
 */
final class Cors extends AllDirectives {
  private static final String METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS";
  private static final String DEFAULT_HEADERS = "content-type, " + RequestLog.HEADER;

  /** How long a browser may cache a preflight answer (seconds). */
  private static final String MAX_AGE = "600";

  private final AppOrigin appOrigin;

  Cors(AppOrigin appOrigin) {
    this.appOrigin = appOrigin;
  }

  Route wrap(Supplier<Route> inner) {
    return optionalHeaderValueByName(
        "Origin",
        origin -> {
          if (origin.isEmpty() || !appOrigin.matches(origin.get())) {
            // Same-origin, non-browser or foreign: no CORS headers. Caches must still tell the
            // answers apart by Origin.
            return respondWithHeaders(List.of(vary()), inner);
          }
          List<HttpHeader> allow =
              List.of(
                  RawHeader.create("Access-Control-Allow-Origin", appOrigin.value()),
                  RawHeader.create("Access-Control-Allow-Credentials", "true"),
                  vary());
          return extractRequest(
              request -> {
                var requestedMethod = request.getHeader("Access-Control-Request-Method");
                if (request.method().equals(HttpMethods.OPTIONS) && requestedMethod.isPresent()) {
                  String headers =
                      request
                          .getHeader("Access-Control-Request-Headers")
                          .map(HttpHeader::value)
                          .orElse(DEFAULT_HEADERS);
                  return complete(
                      HttpResponse.create()
                          .withStatus(StatusCodes.NO_CONTENT)
                          .addHeaders(allow)
                          .addHeader(RawHeader.create("Access-Control-Allow-Methods", METHODS))
                          .addHeader(RawHeader.create("Access-Control-Allow-Headers", headers))
                          .addHeader(RawHeader.create("Access-Control-Max-Age", MAX_AGE)));
                }
                return respondWithHeaders(
                    List.of(
                        allow.get(0),
                        allow.get(1),
                        allow.get(2),
                        RawHeader.create("Access-Control-Expose-Headers", RequestLog.HEADER)),
                    inner);
              });
        });
  }

  private static HttpHeader vary() {
    return RawHeader.create("Vary", "Origin");
  }
}
