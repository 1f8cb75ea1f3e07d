package dev.foundry.backend.http;

import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code GET /v1/health} (the process serves) and {@code GET /v1/ready} (send it traffic). */
final class ProcessRoutes extends AllDirectives {
  private final Readiness readiness;

  ProcessRoutes(Readiness readiness) {
    this.readiness = readiness;
  }

  Route route() {
    return pathPrefix(
        "v1",
        () ->
            concat(
                path("health", () -> get(() -> complete(json(StatusCodes.OK, "{\"ok\":true}")))),
                path(
                    "ready",
                    () ->
                        get(
                            () -> {
                              Readiness.State state = readiness.state();
                              java.util.Optional<String> degraded = readiness.degradedReason();
                              if (state == Readiness.State.READY && degraded.isEmpty()) {
                                return complete(json(StatusCodes.OK, "{\"ready\":true}"));
                              }
                              if (state == Readiness.State.READY) {
                                return complete(
                                    new ApiError(
                                            StatusCodes.SERVICE_UNAVAILABLE,
                                            "not_ready",
                                            "storage is not writable: " + degraded.get())
                                        .toResponse());
                              }
                              return complete(
                                  new ApiError(
                                          StatusCodes.SERVICE_UNAVAILABLE,
                                          "not_ready",
                                          state == Readiness.State.STARTING
                                              ? "storage is still opening"
                                              : "the server is shutting down")
                                      .toResponse());
                            }))));
  }

  private static HttpResponse json(StatusCode status, String s) {
    return HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, s);
  }
}
