package dev.foundry.backend.http;

import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * Requests that Pekko HTTP refuses while parsing, before any route sees them (a URI or a header
 * beyond the limits, a method HTTP does not know, a body a method must not have), answered in the
 * API's one error shape instead of Pekko's plain text. Named by {@code
 * pekko.http.server.parsing.error-handler} in {@code http.conf}; made by Pekko (no-arg
 * constructor).
 */
public final class ParsingErrors extends ParsingErrorHandler {

  @Override
  public HttpResponse handle(
      StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    if (log.isDebugEnabled()) {
      log.debug("request refused while parsing: {} {}", status.intValue(), info.formatPretty());
    }
    return new ApiError(status, code(status.intValue()), message(info)).toResponse();
  }

  static String code(int status) {
    return switch (status) {
      case 413 -> "payload_too_large";
      case 414 -> "uri_too_long";
      case 431 -> "headers_too_large";
      case 501 -> "method_not_implemented";
      case 505 -> "http_version_not_supported";
      default -> "malformed_request";
    };
  }

  private static String message(ErrorInfo info) {
    String summary = info.summary();
    return summary == null || summary.isBlank() ? "the request cannot be parsed" : summary;
  }
}
