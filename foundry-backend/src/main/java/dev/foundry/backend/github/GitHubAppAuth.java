package dev.foundry.backend.github;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.StringReader;
import java.security.KeyFactory;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/**
 * The GitHub App's credentials: a JWT signed RS256 with {@code GITHUB_APP_PRIVATE_KEY} (PKCS#1
 * {@code BEGIN RSA PRIVATE KEY} or PKCS#8 {@code BEGIN PRIVATE KEY}) by java-jwt, issued 60 s in
 * the past against clock drift and valid {@link #JWT_LIFETIME} (GitHub refuses more than 10
 * minutes); and installation tokens, asked of GitHub once and reused until {@link #REFRESH_BEFORE}
 * before they expire (they live an hour).
 */
public final class GitHubAppAuth {
  static final Duration JWT_LIFETIME = Duration.ofMinutes(9);
  static final Duration REFRESH_BEFORE = Duration.ofMinutes(5);

  /** An installation token and when it expires. Its {@code toString} hides the token. */
  public record InstallationToken(String token, Instant expiresAt) {
    @Override
    public String toString() {
      return "InstallationToken[***, expiresAt=" + expiresAt + "]";
    }
  }

  /** One installation of the app: on a user ({@code User}) or an organization account. */
  public record Installation(long id, String accountLogin, String accountType) {
    public boolean personal() {
      return "User".equals(accountType);
    }
  }

  private final String appId;
  private final Algorithm algorithm;
  private final GitHubClient client;
  private final Clock clock;
  private final Map<Long, CompletableFuture<InstallationToken>> tokens = new ConcurrentHashMap<>();

  public GitHubAppAuth(String appId, String privateKeyPem, GitHubClient client, Clock clock) {
    this.appId = appId;
    RSAPrivateKey key = parsePrivateKey(privateKeyPem);
    this.algorithm = Algorithm.RSA256(publicKeyOf(key), key);
    this.client = client;
    this.clock = clock;
  }

  /**
   * A fresh app JWT: {@code iat} now - 60 s, {@code exp} {@code iat} + 9 min, {@code iss} app id.
   */
  public String jwt() {
    Instant issued = clock.instant().minusSeconds(60);
    return JWT.create()
        .withIssuer(appId)
        .withIssuedAt(Date.from(issued))
        .withExpiresAt(Date.from(issued.plus(JWT_LIFETIME)))
        .sign(algorithm);
  }

  /** The installation's token: the cached one while it has more than 5 minutes left. */
  public synchronized CompletionStage<InstallationToken> installationToken(long installationId) {
    CompletableFuture<InstallationToken> cached = tokens.get(installationId);
    if (cached != null && (!cached.isDone() || fresh(cached))) {
      return cached;
    }
    CompletableFuture<InstallationToken> asked = new CompletableFuture<>();
    tokens.put(installationId, asked);
    client
        .post("/app/installations/" + installationId + "/access_tokens", jwt(), null)
        .thenApply(
            body ->
                new InstallationToken(
                    body.path("token").asText(), Instant.parse(body.path("expires_at").asText())))
        .whenComplete(
            (token, failure) -> {
              if (failure != null) {
                tokens.remove(installationId, asked);
                asked.completeExceptionally(failure);
              } else {
                asked.complete(token);
              }
            });
    return asked;
  }

  private boolean fresh(CompletableFuture<InstallationToken> cached) {
    if (cached.isCompletedExceptionally()) {
      return false;
    }
    InstallationToken token = cached.join();
    return clock.instant().plus(REFRESH_BEFORE).isBefore(token.expiresAt());
  }

  /** The app's installations ({@code GET /app/installations}, every page). */
  public CompletionStage<List<Installation>> installations() {
    return client
        .getAll("/app/installations?per_page=100", jwt())
        .thenApply(list -> list.stream().map(GitHubAppAuth::installation).toList());
  }

  static Installation installation(JsonNode node) {
    return new Installation(
        node.path("id").asLong(),
        node.path("account").path("login").asText(),
        node.path("account").path("type").asText());
  }

  /** PKCS#1 or PKCS#8 PEM to a key, with a message that says which it was not. */
  static RSAPrivateKey parsePrivateKey(String pem) {
    try (PEMParser parser = new PEMParser(new StringReader(pem.strip()))) {
      Object object = parser.readObject();
      JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
      java.security.PrivateKey key;
      if (object instanceof PEMKeyPair pair) {
        key = converter.getKeyPair(pair).getPrivate();
      } else if (object instanceof PrivateKeyInfo info) {
        key = converter.getPrivateKey(info);
      } else {
        throw new IllegalArgumentException(
            "GITHUB_APP_PRIVATE_KEY is not an RSA private key in PEM (BEGIN RSA PRIVATE KEY or"
                + " BEGIN PRIVATE KEY)");
      }
      if (!(key instanceof RSAPrivateKey rsa)) {
        throw new IllegalArgumentException("GITHUB_APP_PRIVATE_KEY is not an RSA key");
      }
      return rsa;
    } catch (IOException e) {
      throw new IllegalArgumentException(
          "GITHUB_APP_PRIVATE_KEY cannot be read as PEM: " + e.getMessage(), e);
    }
  }

  /** java-jwt wants both halves; a CRT private key carries the public exponent. */
  private static RSAPublicKey publicKeyOf(RSAPrivateKey key) {
    if (!(key instanceof RSAPrivateCrtKey crt)) {
      return null;
    }
    try {
      return (RSAPublicKey)
          KeyFactory.getInstance("RSA")
              .generatePublic(new RSAPublicKeySpec(crt.getModulus(), crt.getPublicExponent()));
    } catch (java.security.GeneralSecurityException e) {
      return null;
    }
  }
}
