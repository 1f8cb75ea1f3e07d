package dev.foundry.backend.http.auth;

/** Who a request comes from: taken from the session cookie only, never from a request field. */
public record SignedInUser(String userId, String sessionId) {}
