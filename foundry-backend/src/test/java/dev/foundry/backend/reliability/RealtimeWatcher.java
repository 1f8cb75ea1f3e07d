package dev.foundry.backend.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A realtime client of the campaign: it opens {@code /v1/realtime} with the session cookie,
 * subscribes, and keeps every frame. During the load it is one more client the server must serve
 * while it dies; after a restart it proves that the socket's snapshot says what REST says. The
 * cluster tests use it too: there it also tells how the socket ended (a close frame from a node
 * that leaves, or a broken connection).
 */
public final class RealtimeWatcher implements WebSocket.Listener, AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
  private final StringBuilder partial = new StringBuilder();
  private final AtomicInteger errors = new AtomicInteger();
  private final CompletableFuture<Integer> ended = new CompletableFuture<>();
  private WebSocket socket;

  public static RealtimeWatcher open(String base, String cookie) {
    RealtimeWatcher w = new RealtimeWatcher();
    w.socket =
        HTTP.newWebSocketBuilder()
            .header("Cookie", "foundry_session=" + cookie)
            .buildAsync(URI.create(base.replace("http://", "ws://") + "/v1/realtime"), w)
            .orTimeout(10, TimeUnit.SECONDS)
            .join();
    return w;
  }

  public void subscribe(String topic, String id) {
    socket
        .sendText(
            "{\"type\":\"subscribe\",\"topic\":\"" + topic + "\",\"id\":\"" + id + "\"}", true)
        .orTimeout(10, TimeUnit.SECONDS)
        .join();
  }

  /** The first frame that matches, skipping others; null after {@code timeout}. */
  public JsonNode next(Predicate<JsonNode> wanted, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      JsonNode frame = frames.poll(100, TimeUnit.MILLISECONDS);
      if (frame != null && wanted.test(frame)) {
        return frame;
      }
    }
    return null;
  }

  /** Frames of type {@code error} the server sent (none is expected from this client). */
  public int errorFrames() {
    return errors.get();
  }

  @Override
  public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
    partial.append(data);
    if (last) {
      try {
        JsonNode frame = JSON.readTree(partial.toString());
        if ("error".equals(frame.path("type").asText())) {
          errors.incrementAndGet();
        }
        frames.add(frame);
      } catch (Exception e) {
        errors.incrementAndGet();
      }
      partial.setLength(0);
    }
    ws.request(1);
    return null;
  }

  /**
   * The status code of the close frame the server sent, once it sent one; fails when the connection
   * broke without a close frame, or nothing ended it within {@code timeout}.
   */
  public int awaitCloseFrame(Duration timeout) throws InterruptedException {
    try {
      return ended.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      throw new AssertionError("the socket broke without a close frame: " + e.getCause(), e);
    } catch (TimeoutException e) {
      throw new AssertionError("the socket was still open after " + timeout);
    }
  }

  @Override
  public CompletionStage<?> onClose(WebSocket ws, int statusCode, String reason) {
    ended.complete(statusCode);
    return null;
  }

  @Override
  public void onError(WebSocket ws, Throwable error) {
    ended.completeExceptionally(error);
  }

  @Override
  public void close() {
    try {
      socket.abort();
    } catch (RuntimeException e) {
      // already closed by the server's death
    }
  }
}
