package dev.foundry.sandbox.acp;

import java.time.Duration;
import java.util.Objects;
import java.util.UUID;

/**
 * How to open an ACP instance.
 *
 * @param serverId the instance id the client picks; one agent process per id
 * @param agent the agent to spawn ({@code mock}, {@code claude}, {@code codex}, ...)
 * @param requestTimeout client-side deadline of an ordinary request; 0.4.2 never answers a request
 *     that timed out on its side, so without this a caller could wait forever
 * @param deleteWait how long to wait for the DELETE that closes the instance; 0.4.2 never answers
 *     it for a live instance, and the agent only exits once the client gives up
 * @param streamIdleTimeout reconnect the SSE stream when nothing (not even the ~15 s heartbeat)
 *     arrived for this long
 * @param listener receives notifications from the first event on; may be null
 */
public record AcpConnectionOptions(
    String serverId,
    String agent,
    Duration requestTimeout,
    Duration deleteWait,
    Duration streamIdleTimeout,
    AcpListener listener) {

  public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(60);
  public static final Duration DEFAULT_DELETE_WAIT = Duration.ofSeconds(2);
  public static final Duration DEFAULT_STREAM_IDLE_TIMEOUT = Duration.ofSeconds(45);

  public AcpConnectionOptions {
    Objects.requireNonNull(serverId, "serverId");
    Objects.requireNonNull(agent, "agent");
    Objects.requireNonNull(requestTimeout, "requestTimeout");
    Objects.requireNonNull(deleteWait, "deleteWait");
    Objects.requireNonNull(streamIdleTimeout, "streamIdleTimeout");
  }

  /** Defaults, with a fresh serverId {@code <agent>-<uuid>}. */
  public static AcpConnectionOptions forAgent(String agent) {
    return new AcpConnectionOptions(
        agent + "-" + UUID.randomUUID(),
        agent,
        DEFAULT_REQUEST_TIMEOUT,
        DEFAULT_DELETE_WAIT,
        DEFAULT_STREAM_IDLE_TIMEOUT,
        null);
  }

  public AcpConnectionOptions withServerId(String serverId) {
    return new AcpConnectionOptions(
        serverId, agent, requestTimeout, deleteWait, streamIdleTimeout, listener);
  }

  public AcpConnectionOptions withRequestTimeout(Duration requestTimeout) {
    return new AcpConnectionOptions(
        serverId, agent, requestTimeout, deleteWait, streamIdleTimeout, listener);
  }

  public AcpConnectionOptions withDeleteWait(Duration deleteWait) {
    return new AcpConnectionOptions(
        serverId, agent, requestTimeout, deleteWait, streamIdleTimeout, listener);
  }

  public AcpConnectionOptions withStreamIdleTimeout(Duration streamIdleTimeout) {
    return new AcpConnectionOptions(
        serverId, agent, requestTimeout, deleteWait, streamIdleTimeout, listener);
  }

  public AcpConnectionOptions withListener(AcpListener listener) {
    return new AcpConnectionOptions(
        serverId, agent, requestTimeout, deleteWait, streamIdleTimeout, listener);
  }
}
