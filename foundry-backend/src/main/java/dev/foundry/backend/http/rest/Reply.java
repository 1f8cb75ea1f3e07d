package dev.foundry.backend.http.rest;

import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpHeader;

/**
 * What a handler answers when the row's status and a JSON body are not enough: another status, or
 * headers such as {@code Set-Cookie}. A {@code null} body answers no content.
 */
public record Reply(int status, Object body, List<HttpHeader> headers) {
  public Reply {
    headers = List.copyOf(headers);
  }

  public static Reply of(int status, Object body, HttpHeader... headers) {
    return new Reply(status, body, List.of(headers));
  }
}
