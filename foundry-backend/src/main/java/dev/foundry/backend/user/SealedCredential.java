package dev.foundry.backend.user;

/**
 * An agent credential sealed with AES-256-GCM: base64 of the 12-byte nonce and of the ciphertext
 * with its tag. Opening needs the key and the same user and provider (they are the associated
 * data).
 */
public record SealedCredential(String nonce, String ciphertext) {
  @Override
  public String toString() {
    return "SealedCredential[" + ciphertext.length() + " chars]";
  }
}
