package dev.foundry.backend.http;

import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCode;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * The one error shape of the API: {@code {"error":{"code","message"}}}. Built by hand (two strings)
 * so that even a failure of the JSON layer can still be reported.
 *
 * @param retryAfterSeconds above zero: the request changed nothing and may be sent again after that
 *     many seconds ({@code Retry-After}); zero: retrying the same request will not help
 */
public record ApiError(StatusCode status, String code, String message, int retryAfterSeconds) {

  public ApiError(StatusCode status, String code, String message) {
    this(status, code, message, 0);
  }

  public HttpResponse toResponse() {
    String body = "{\"error\":{\"code\":" + quote(code) + ",\"message\":" + quote(message) + "}}";
    HttpResponse response =
        HttpResponse.create().withStatus(status).withEntity(ContentTypes.APPLICATION_JSON, body);
    return retryAfterSeconds > 0
        ? response.addHeader(RawHeader.create("Retry-After", Integer.toString(retryAfterSeconds)))
        : response;
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
