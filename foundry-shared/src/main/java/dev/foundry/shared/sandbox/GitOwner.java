package dev.foundry.shared.sandbox;

import java.util.List;

/** Whose credentials are in the sandbox; the secret itself is never stored. */
public record GitOwner(String ownerUserId, String login, String email, List<String> hosts) {}
