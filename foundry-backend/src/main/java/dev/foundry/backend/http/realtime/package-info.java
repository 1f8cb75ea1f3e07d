/**
 * The realtime WebSocket, {@code GET /v1/realtime}: {@link
 * dev.foundry.backend.http.realtime.RealtimeEndpoint} checks origin and session and upgrades; one
 * {@code RealtimeConnection} per socket turns client frames into {@link
 * dev.foundry.backend.runtime.RealtimeHub} subscriptions and hub publications into frames, through
 * a bounded buffer. Depends on the hub, on {@code http.auth} for who is connected and on {@link
 * dev.foundry.backend.http.realtime.TopicAccess} for what they may see; never on actors directly.
 * docs/realtime.md describes the protocol.
 */
package dev.foundry.backend.http.realtime;
