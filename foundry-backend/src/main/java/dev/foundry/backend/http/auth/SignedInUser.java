package dev.foundry.backend.http.auth;

import java.time.Instant;

/**
 * Who a request comes from: taken from the session cookie only, never from a request field. {@code
 * expiresAt} is when the session ends at the latest (its TTL), for what outlives the request (a
 * realtime socket closes then).
 */
public record SignedInUser(String userId, String sessionId, Instant expiresAt) {}
