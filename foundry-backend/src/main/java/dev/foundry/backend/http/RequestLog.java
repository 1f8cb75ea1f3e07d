package dev.foundry.backend.http;

import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.AllDirectives;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Logs every request once, when its response is ready: method, path, status, duration and a request
 * id. The id is the caller's {@code x-request-id} when it looks sane, a new one otherwise, and is
 * echoed on the response so a client can quote it in a bug report.
 */
final class RequestLog extends AllDirectives {
  private static final Logger log = LoggerFactory.getLogger("foundry.http.access");
  private static final Pattern SANE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  static final String HEADER = "x-request-id";

  /**
   * A random id in UUID form. Not {@code UUID.randomUUID()}: an id to quote in a bug report needs
   * no secure randomness, and every request paid for the shared secure generator.
   */
  static String newId() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    return new UUID(random.nextLong(), random.nextLong()).toString();
  }

  Route wrap(Supplier<Route> inner) {
    return extractRequest(
        request -> {
          long start = System.nanoTime();
          String id =
              request
                  .getHeader(HEADER)
                  .map(HttpHeader::value)
                  .filter(v -> SANE_ID.matcher(v).matches())
                  .orElseGet(RequestLog::newId);
          return mapResponse(
              response -> {
                if (!log.isInfoEnabled()) {
                  return response.addHeader(RawHeader.create(HEADER, id));
                }
                long micros = (System.nanoTime() - start) / 1_000;
                MDC.put("requestId", id);
                try {
                  log.info(
                      "{} {} {} {}ms",
                      request.method().value(),
                      request.getUri().path(),
                      response.status().intValue(),
                      String.format(Locale.ROOT, "%.1f", micros / 1000.0));
                } finally {
                  MDC.remove("requestId");
                }
                return response.addHeader(RawHeader.create(HEADER, id));
              },
              inner);
        });
  }
}
