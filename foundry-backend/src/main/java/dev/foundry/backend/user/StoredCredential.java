package dev.foundry.backend.user;

/** A sealed credential as stored, with the file it belongs in inside a sandbox. */
public record StoredCredential(
    String provider, SealedCredential credential, String filePath, long updatedAt) {}
