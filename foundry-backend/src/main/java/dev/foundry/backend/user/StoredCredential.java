package dev.foundry.backend.user;

import dev.foundry.backend.protocol.UserProtocol.SealedCredential;

/** A sealed credential as stored, with the file it belongs in inside a sandbox. */
public record StoredCredential(
    String provider, SealedCredential credential, String filePath, long updatedAt) {}
