package dev.foundry.backend.user;

import dev.foundry.backend.protocol.UserProtocol.SealedCredential;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Seals agent credentials before they reach a user actor, so they are encrypted everywhere the
 * runtime writes them: the journal (commands and events), snapshots, the actor's file and its
 * failed-command table. The key is {@code FoundrySettings.auth().credentialsKey()} (32 bytes). The
 * user id and provider are authenticated with the ciphertext, so a sealed value copied to another
 * user or provider does not open.
 */
public final class CredentialCipher {
  private static final int NONCE_BYTES = 12;
  private static final int TAG_BITS = 128;

  private final SecretKeySpec key;
  private final SecureRandom random = new SecureRandom();

  public CredentialCipher(byte[] key) {
    if (key == null || key.length != 32) {
      throw new IllegalArgumentException("the credentials key must be 32 bytes (AES-256)");
    }
    this.key = new SecretKeySpec(key.clone(), "AES");
  }

  public SealedCredential seal(String userId, String provider, String plaintext) {
    byte[] nonce = new byte[NONCE_BYTES];
    random.nextBytes(nonce);
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, nonce));
      cipher.updateAAD(associatedData(userId, provider));
      byte[] out = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
      Base64.Encoder b64 = Base64.getEncoder();
      return new SealedCredential(b64.encodeToString(nonce), b64.encodeToString(out));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot seal a credential: " + e.getMessage(), e);
    }
  }

  /**
   * @throws IllegalArgumentException when the value was sealed with another key, user or provider,
   *     or was altered
   */
  public String open(String userId, String provider, SealedCredential sealed) {
    Base64.Decoder b64 = Base64.getDecoder();
    try {
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(
          Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, b64.decode(sealed.nonce())));
      cipher.updateAAD(associatedData(userId, provider));
      return new String(cipher.doFinal(b64.decode(sealed.ciphertext())), StandardCharsets.UTF_8);
    } catch (javax.crypto.AEADBadTagException e) {
      throw new IllegalArgumentException(
          "credential does not open with this key, user or provider");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot open a credential: " + e.getMessage(), e);
    }
  }

  private static byte[] associatedData(String userId, String provider) {
    return ("foundry-credential\0" + userId + "\0" + provider).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "CredentialCipher[AES-256-GCM]";
  }
}
