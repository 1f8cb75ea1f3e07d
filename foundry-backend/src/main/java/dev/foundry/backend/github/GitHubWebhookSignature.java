package dev.foundry.backend.github;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * GitHub's webhook signature: {@code X-Hub-Signature-256: sha256=<hex>}, the HMAC-SHA256 of the raw
 * body under the webhook secret. Checked before anything reads the body, in constant time.
 */
public final class GitHubWebhookSignature {
  private static final String PREFIX = "sha256=";

  private final byte[] secret;

  public GitHubWebhookSignature(String secret) {
    this.secret = secret.getBytes(StandardCharsets.UTF_8);
  }

  /** True when {@code header} is {@code sha256=} and the HMAC of exactly these bytes. */
  public boolean verifies(byte[] body, String header) {
    if (header == null || !header.startsWith(PREFIX)) {
      return false;
    }
    byte[] given;
    try {
      given = HexFormat.of().parseHex(header.substring(PREFIX.length()).strip());
    } catch (IllegalArgumentException e) {
      return false;
    }
    // MessageDigest.isEqual does not stop at the first differing byte.
    return MessageDigest.isEqual(hmac(body), given);
  }

  /** The header GitHub would send for {@code body}. */
  public String sign(byte[] body) {
    return PREFIX + HexFormat.of().formatHex(hmac(body));
  }

  private byte[] hmac(byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret, "HmacSHA256"));
      return mac.doFinal(body);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JRE", e);
    }
  }
}
