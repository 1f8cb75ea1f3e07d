package dev.foundry.sandbox.acp;

import dev.foundry.sandbox.client.NotFoundException;
import dev.foundry.sandbox.client.SandboxAgentException;
import dev.foundry.sandbox.client.SandboxAgentHttp;
import dev.foundry.sandbox.client.SandboxAgentUnreachableException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SSE side of one ACP instance ({@code GET /v1/acp/{serverId}}). Keeps the id of the last event
 * seen and reconnects with {@code Last-Event-ID} when the stream drops or goes silent (no event and
 * no heartbeat for the idle timeout), so no event is lost or seen twice. Gives up after a few
 * failed reconnects in a row, or at once when the server says the instance is gone (404).
 */
final class AcpEventStream {

  private static final Logger log = LoggerFactory.getLogger(AcpEventStream.class);

  /** One daemon thread for all streams' idle checks; it only triggers, never does work. */
  private static final ScheduledExecutorService WATCHDOG = watchdog();

  private static final int MAX_RECONNECTS = 6;
  private static final Duration CONNECT_DEADLINE = Duration.ofSeconds(10);

  private final SandboxAgentHttp http;
  private final String path;
  private final Duration idleTimeout;
  private final Consumer<SseEvent> onEvent;
  private final Consumer<Throwable> onFailed;

  private volatile long lastEventId;
  private volatile long lastActivityNanos = System.nanoTime();
  private volatile boolean closed;
  private volatile Subscriber current;
  private int failedAttempts;
  private ScheduledFuture<?> idleCheck;

  AcpEventStream(
      SandboxAgentHttp http,
      String serverId,
      Duration idleTimeout,
      Consumer<SseEvent> onEvent,
      Consumer<Throwable> onFailed) {
    this.http = http;
    this.path = "/v1/acp/" + serverId;
    this.idleTimeout = idleTimeout;
    this.onEvent = onEvent;
    this.onFailed = onFailed;
  }

  long lastEventId() {
    return lastEventId;
  }

  /** Connects; the future completes once the stream's headers arrived (or fails). */
  CompletableFuture<Void> start() {
    long checkMillis = Math.max(100, idleTimeout.toMillis() / 3);
    idleCheck =
        WATCHDOG.scheduleWithFixedDelay(
            this::checkIdle, checkMillis, checkMillis, TimeUnit.MILLISECONDS);
    return connect();
  }

  void close() {
    closed = true;
    if (idleCheck != null) {
      idleCheck.cancel(false);
    }
    Subscriber s = current;
    if (s != null) {
      s.cancel();
    }
  }

  private CompletableFuture<Void> connect() {
    HttpRequest.Builder builder =
        http.request(path).timeout(CONNECT_DEADLINE).header("Accept", "text/event-stream").GET();
    long resumeFrom = lastEventId;
    if (resumeFrom > 0) {
      builder.header("Last-Event-ID", Long.toString(resumeFrom));
    }
    HttpRequest request = builder.build();
    Subscriber subscriber = new Subscriber();
    current = subscriber;
    lastActivityNanos = System.nanoTime();
    // A body handler sees the status when the headers arrive; the response future itself would
    // only complete when the (endless) stream ends.
    CompletableFuture<Void> attached = new CompletableFuture<>();
    HttpResponse.BodyHandler<Void> handler =
        info -> {
          if (info.statusCode() == 200) {
            attached.complete(null);
            return HttpResponse.BodySubscribers.fromLineSubscriber(
                subscriber, s -> null, StandardCharsets.UTF_8, null);
          }
          subscriber.cancel();
          attached.completeExceptionally(
              info.statusCode() == 404
                  ? new NotFoundException(
                      "ACP event stream " + path + ": the instance no longer exists", 404, null)
                  : new SandboxAgentException(
                      "ACP event stream " + path + ": HTTP " + info.statusCode()));
          return HttpResponse.BodySubscribers.replacing(null);
        };
    http.client()
        .sendAsync(request, handler)
        .whenComplete(
            (response, failure) -> {
              if (failure != null && !attached.isDone()) {
                attached.completeExceptionally(
                    SandboxAgentHttp.mapFailure("ACP event stream " + path, request, failure));
              }
            });
    return attached.thenRun(
        () -> log.debug("SSE attached to {} (resume after {})", path, resumeFrom));
  }

  private void streamEnded(Throwable failure) {
    if (closed) {
      return;
    }
    log.debug("SSE stream {} ended ({}), reconnecting after event {}", path, failure, lastEventId);
    reconnect(failure);
  }

  private void reconnect(Throwable lastFailure) {
    if (closed) {
      return;
    }
    failedAttempts++;
    if (failedAttempts > MAX_RECONNECTS) {
      closed = true;
      onFailed.accept(
          new SandboxAgentUnreachableException(
              "ACP event stream " + path + " lost and could not be re-established", lastFailure));
      return;
    }
    long backoff = Math.min(2000, 50L << failedAttempts);
    CompletableFuture.delayedExecutor(backoff, TimeUnit.MILLISECONDS, http.executor())
        .execute(
            () ->
                connect()
                    .whenComplete(
                        (ok, failure) -> {
                          if (failure == null) {
                            return;
                          }
                          Throwable cause =
                              failure.getCause() != null ? failure.getCause() : failure;
                          if (cause instanceof NotFoundException) {
                            closed = true;
                            onFailed.accept(cause);
                          } else {
                            reconnect(cause);
                          }
                        }));
  }

  private void checkIdle() {
    if (closed) {
      return;
    }
    long silentNanos = System.nanoTime() - lastActivityNanos;
    if (silentNanos > idleTimeout.toNanos()) {
      log.info("SSE stream {} silent for {} ms; reconnecting", path, silentNanos / 1_000_000);
      lastActivityNanos = System.nanoTime();
      Subscriber s = current;
      if (s != null && s.cancel()) {
        streamEnded(null);
      }
    }
  }

  private void eventArrived(SseEvent event) {
    failedAttempts = 0;
    if (event.id() > 0) {
      if (event.id() <= lastEventId) {
        return; // already seen (a replay overlapping a resume)
      }
      lastEventId = event.id();
    }
    onEvent.accept(event);
  }

  /** Receives the body line by line; Flow guarantees onNext calls do not overlap. */
  private final class Subscriber implements Flow.Subscriber<String> {
    private final SseParser parser = new SseParser(AcpEventStream.this::eventArrived, () -> {});
    private Flow.Subscription own;
    private volatile boolean cancelled;

    @Override
    public void onSubscribe(Flow.Subscription s) {
      synchronized (this) {
        own = s;
      }
      if (closed || cancelled) {
        s.cancel();
        return;
      }
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(String line) {
      lastActivityNanos = System.nanoTime();
      if (!cancelled) {
        parser.line(line);
      }
    }

    @Override
    public void onError(Throwable throwable) {
      if (markCancelled()) {
        streamEnded(throwable);
      }
    }

    @Override
    public void onComplete() {
      if (markCancelled()) {
        streamEnded(null);
      }
    }

    /** Stops this subscriber; true if it was still active (so exactly one caller reconnects). */
    boolean cancel() {
      boolean wasActive = markCancelled();
      Flow.Subscription s;
      synchronized (this) {
        s = own;
      }
      if (s != null) {
        s.cancel();
      }
      return wasActive;
    }

    private synchronized boolean markCancelled() {
      boolean wasActive = !cancelled;
      cancelled = true;
      return wasActive;
    }
  }

  private static ScheduledExecutorService watchdog() {
    ScheduledThreadPoolExecutor executor =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "acp-stream-watchdog");
              t.setDaemon(true);
              return t;
            });
    executor.setRemoveOnCancelPolicy(true);
    return executor;
  }
}
