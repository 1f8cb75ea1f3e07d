package dev.foundry.backend.http;

import dev.foundry.backend.config.FoundrySettings;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * What every request passes before routing, in this order:
 *
 * <ol>
 *   <li>The {@code Host} allow-list, against DNS rebinding: the loopback names ({@code localhost},
 *       loopback IP literals, any port) on a loopback bind, the hosts of {@code APP_URL} and {@code
 *       BETTER_AUTH_URL}, and {@code FOUNDRY_ALLOWED_HOSTS}. Ports are not compared. Any other (or
 *       no) {@code Host} answers {@code 400 host_not_allowed}. {@code GET /v1/health} and {@code
 *       /v1/ready} are exempt: load balancers and orchestrators probe them by the pod's IP, and
 *       they answer nothing but the process's state.
 *   <li>Cross-origin protection for state changes, as Go's {@code http.CrossOriginProtection}: a
 *       request with a method other than GET, HEAD and OPTIONS that a browser marks as coming from
 *       another origin answers {@code 403 cross_site_request}. {@code Sec-Fetch-Site} decides when
 *       present ({@code same-origin} and {@code none} pass); without it, an {@code Origin} that
 *       does not name the request's own host is refused. Either way, an {@code Origin} that is
 *       {@code APP_URL}'s, {@code BETTER_AUTH_URL}'s or listed in {@code FOUNDRY_ALLOWED_ORIGINS}
 *       passes, and so does a request with neither header (curl, scripts: no ambient cookies to
 *       abuse). Paths under {@link #WEBHOOKS} are exempt: webhooks carry signatures, not cookies.
 * </ol>
 */
final class EdgeGuard extends AllDirectives {
  /** The prefix of webhook paths, exempt from the cross-origin check. */
  static final String WEBHOOKS = "/v1/webhooks/";

  /** Probes that must answer whatever name or address they are sent to. */
  private static final Set<String> HOST_EXEMPT = Set.of("/v1/health", "/v1/ready");

  private final boolean loopbackBind;
  private final Set<String> hosts;
  private final List<AppOrigin> trustedOrigins;

  EdgeGuard(FoundrySettings settings) {
    this.loopbackBind = settings.http().loopbackOnly();
    Set<String> allowed = new LinkedHashSet<>();
    allowed.add(hostOf(settings.appUrl()));
    allowed.add(hostOf(settings.apiUrl()));
    allowed.addAll(settings.http().allowedHosts());
    this.hosts = Set.copyOf(allowed);
    List<String> origins = new ArrayList<>(List.of(settings.appUrl(), settings.apiUrl()));
    origins.addAll(settings.http().allowedOrigins());
    this.trustedOrigins = origins.stream().map(AppOrigin::of).toList();
  }

  Route wrap(Supplier<Route> inner) {
    return extractRequest(
        request -> {
          Optional<String> host = request.getHeader("Host").map(HttpHeader::value);
          String path = request.getUri().path();
          if (!HOST_EXEMPT.contains(path) && !hostAllowed(host)) {
            return complete(
                new ApiError(
                        StatusCodes.BAD_REQUEST,
                        "host_not_allowed",
                        "this server does not answer to the Host "
                            + host.map(h -> "'" + h + "'").orElse("(none)")
                            + "; FOUNDRY_ALLOWED_HOSTS lists extra names")
                    .toResponse());
          }
          if (crossSite(request, host, path)) {
            return complete(
                new ApiError(
                        StatusCodes.FORBIDDEN,
                        "cross_site_request",
                        "state-changing requests from another site are refused;"
                            + " FOUNDRY_ALLOWED_ORIGINS lists extra origins")
                    .toResponse());
          }
          return inner.get();
        });
  }

  private boolean hostAllowed(Optional<String> header) {
    if (header.isEmpty()) {
      return false;
    }
    String host = withoutPort(header.get().strip().toLowerCase(Locale.ROOT));
    if (host.isEmpty()) {
      return false;
    }
    return hosts.contains(host) || (loopbackBind && FoundrySettings.isLoopbackHost(host));
  }

  private boolean crossSite(HttpRequest request, Optional<String> host, String path) {
    var method = request.method();
    if (method.equals(HttpMethods.GET)
        || method.equals(HttpMethods.HEAD)
        || method.equals(HttpMethods.OPTIONS)
        || path.startsWith(WEBHOOKS)) {
      return false;
    }
    Optional<String> fetchSite =
        request.getHeader("Sec-Fetch-Site").map(h -> h.value().strip().toLowerCase(Locale.ROOT));
    Optional<String> origin = request.getHeader("Origin").map(h -> h.value().strip());
    if (fetchSite.isPresent()) {
      if (fetchSite.get().equals("same-origin") || fetchSite.get().equals("none")) {
        return false;
      }
      return !trusted(origin);
    }
    if (origin.isEmpty()) {
      return false; // not a browser
    }
    if (host.isPresent() && sameHost(origin.get(), host.get())) {
      return false;
    }
    return !trusted(origin);
  }

  private boolean trusted(Optional<String> origin) {
    return origin.isPresent() && trustedOrigins.stream().anyMatch(o -> o.matches(origin.get()));
  }

  /** Go's rule: the Origin's {@code host[:port]} is the request's {@code Host}. */
  private static boolean sameHost(String origin, String host) {
    try {
      String authority = new URI(origin).getRawAuthority();
      return authority != null && authority.equalsIgnoreCase(host.strip());
    } catch (URISyntaxException e) {
      return false;
    }
  }

  private static String hostOf(String url) {
    return URI.create(url).getHost().toLowerCase(Locale.ROOT);
  }

  /** {@code name}, {@code name:port}, {@code [v6]} or {@code [v6]:port} → the host part. */
  static String withoutPort(String host) {
    if (host.startsWith("[")) {
      int end = host.indexOf(']');
      return end < 0 ? "" : host.substring(0, end + 1);
    }
    int colon = host.indexOf(':');
    return colon < 0 ? host : host.substring(0, colon);
  }
}
