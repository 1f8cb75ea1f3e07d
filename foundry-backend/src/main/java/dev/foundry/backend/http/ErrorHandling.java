package dev.foundry.backend.http;

import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.server.Directives;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.MethodRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.http.javadsl.server.UnsupportedRequestContentTypeRejection;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns rejections and unexpected exceptions into the API's error shape. A client mistake maps to a
 * 4xx; only our own bugs become a 500, logged with their stack trace.
 */
final class ErrorHandling {
  private static final Logger log = LoggerFactory.getLogger(ErrorHandling.class);

  private ErrorHandling() {}

  static RejectionHandler rejections() {
    return RejectionHandler.newBuilder()
        .handle(
            MalformedRequestContentRejection.class,
            r -> complete(new ApiError(StatusCodes.BAD_REQUEST, "malformed_request", r.message())))
        .handle(
            UnsupportedRequestContentTypeRejection.class,
            r ->
                complete(
                    new ApiError(
                        StatusCodes.UNSUPPORTED_MEDIA_TYPE,
                        "unsupported_media_type",
                        "send the body as application/json")))
        .handleAll(
            MethodRejection.class,
            rs ->
                complete(
                    new ApiError(
                        StatusCodes.METHOD_NOT_ALLOWED,
                        "method_not_allowed",
                        "method not allowed here")))
        .handleNotFound(complete(new ApiError(StatusCodes.NOT_FOUND, "not_found", "no such route")))
        .build()
        .withFallback(RejectionHandler.defaultHandler())
        .mapRejectionResponse(ErrorHandling::inErrorShape);
  }

  /**
   * Pekko's default rejection answers are plain text: keep their status and words, in our shape.
   */
  private static HttpResponse inErrorShape(HttpResponse response) {
    if (response.entity().getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
      return response;
    }
    String text =
        response.entity() instanceof HttpEntity.Strict strict
            ? strict.getData().utf8String()
            : response.status().reason();
    return new ApiError(response.status(), "request_rejected", text).toResponse();
  }

  static ExceptionHandler exceptions() {
    return ExceptionHandler.newBuilder()
        .match(
            EntityStreamSizeException.class,
            e ->
                complete(
                    new ApiError(
                        StatusCodes.PAYLOAD_TOO_LARGE,
                        "payload_too_large",
                        "request body larger than " + e.limit() + " bytes")))
        .match(ApiException.class, e -> complete(e.error()))
        .matchAny(
            e -> {
              log.error("unhandled error while serving a request", e);
              return complete(
                  new ApiError(
                      StatusCodes.INTERNAL_SERVER_ERROR,
                      "internal_error",
                      "internal error; the request id identifies it in the server log"));
            })
        .build();
  }

  private static Route complete(ApiError error) {
    return Directives.complete(error.toResponse());
  }
}
