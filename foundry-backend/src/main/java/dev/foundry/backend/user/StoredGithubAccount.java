package dev.foundry.backend.user;

import dev.foundry.backend.protocol.UserProtocol.SealedCredential;

/** The user's GitHub account as stored: the token still sealed. */
public record StoredGithubAccount(
    String accountId,
    String login,
    String scope,
    SealedCredential token,
    Long tokenExpiresAt,
    long updatedAt) {}
