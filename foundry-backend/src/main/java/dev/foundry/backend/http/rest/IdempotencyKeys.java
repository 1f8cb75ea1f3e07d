package dev.foundry.backend.http.rest;

import dev.foundry.backend.http.ApiException;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.protocol.UserProtocol.IdempotencyClaim;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.DurableRuntime;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import java.util.stream.StreamSupport;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.apache.pekko.http.javadsl.model.headers.CacheControl;
import org.apache.pekko.http.javadsl.model.headers.CacheDirectives;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code Idempotency-Key} on the creating POSTs ({@link Endpoint#idempotent()}). The keys live in
 * the user's own actor (its {@code user_idempotency_keys} table): keys are scoped per user, kept
 * durably for 24 h, and every claim of one user's keys is serialized by that actor. A request with
 * a key is run at most once per key while its answer is kept:
 *
 * <ol>
 *   <li>claim the key with the hash of method, path and body (the user actor decides: new → run;
 *       answered → replay the kept status and body; same key, other request → 422; still in flight
 *       in this server run → 409);
 *   <li>run the route; a final answer (2xx, and 4xx other than 408, 409 and 429) is kept before it
 *       is sent, anything else (5xx, including a 504 of a command that goes on running) releases
 *       the key so a retry runs again.
 * </ol>
 *
 * A claim left in flight by an earlier server run (a crash, a restart) is taken over by the next
 * retry. The routes themselves stay safe to run again: a task's id follows from the user and the
 * key, so a second run reaches the same task.
 */
public final class IdempotencyKeys {
  public static final String HEADER = "Idempotency-Key";
  public static final int MAX_LENGTH = 255;

  /** Set on an answer replayed from the kept result. */
  public static final String REPLAYED = "Idempotent-Replayed";

  private static final Logger log = LoggerFactory.getLogger(IdempotencyKeys.class);
  private static final HttpHeader NO_STORE = CacheControl.create(CacheDirectives.NO_STORE);

  private final DurableRuntime runtime;

  /** This server run: a claim by another run that is still in flight was lost with that run. */
  private final String runId = UUID.randomUUID().toString();

  public IdempotencyKeys(DurableRuntime runtime) {
    this.runtime = runtime;
  }

  /**
   * The request's key, or null without the header; {@code 400 invalid_idempotency_key} unless it is
   * given once and is 1-255 printable ASCII characters.
   */
  static String keyOf(HttpRequest request) {
    List<String> values =
        StreamSupport.stream(request.getHeaders().spliterator(), false)
            .filter(h -> h.lowercaseName().equals("idempotency-key"))
            .map(HttpHeader::value)
            .toList();
    if (values.isEmpty()) {
      return null;
    }
    if (values.size() > 1) {
      throw invalid("give Idempotency-Key once");
    }
    String key = values.get(0);
    if (key.isEmpty() || key.length() > MAX_LENGTH) {
      throw invalid("Idempotency-Key is 1-" + MAX_LENGTH + " characters");
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < 0x20 || c > 0x7e) {
        throw invalid("Idempotency-Key is printable ASCII only");
      }
    }
    return key;
  }

  private static ApiException invalid(String message) {
    return ApiErrors.badRequest("invalid_idempotency_key", message);
  }

  /** What a task created under this key is keyed by: the user and the key. */
  static String requestKey(String userId, String key) {
    return userId + "\n" + key;
  }

  /** Serves a request with a key: the kept answer, a refusal, or {@code run}'s answer (kept). */
  CompletionStage<HttpResponse> serve(
      String userId,
      String key,
      HttpRequest request,
      byte[] body,
      Supplier<CompletionStage<HttpResponse>> run) {
    String hash = hash(request.method().value(), request.getUri().path(), body);
    DurableRef<UserProtocol.Command<?>> user =
        runtime.getOrCreate(UserProtocol.TYPE, UserProtocol.key(userId));
    return user.ask(new UserProtocol.ClaimIdempotencyKey(key, hash, runId))
        .thenCompose(
            claim ->
                switch (claim.outcome()) {
                  case COMPLETED -> CompletableFuture.completedFuture(replay(claim));
                  case IN_USE ->
                      CompletableFuture.failedFuture(
                          new ApiException(
                              StatusCodes.CONFLICT,
                              "idempotency_key_in_use",
                              "a request with this Idempotency-Key is still running; retry"
                                  + " once it answered"));
                  case REUSED ->
                      CompletableFuture.failedFuture(
                          new ApiException(
                              StatusCodes.UNPROCESSABLE_ENTITY,
                              "idempotency_key_reused",
                              "this Idempotency-Key was used for another request (method,"
                                  + " path or body differ)"));
                  case CLAIMED -> run.get().thenCompose(response -> keep(user, key, response));
                });
  }

  private CompletionStage<HttpResponse> keep(
      DurableRef<UserProtocol.Command<?>> user, String key, HttpResponse response) {
    int status = response.status().intValue();
    String body =
        response.entity() instanceof HttpEntity.Strict strict
            ? strict.getData().utf8String()
            : null;
    boolean keep = body != null && status < 500 && status != 408 && status != 409 && status != 429;
    CompletionStage<Boolean> written =
        keep
            ? user.ask(new UserProtocol.CompleteIdempotencyKey(key, runId, status, body))
            : user.ask(new UserProtocol.ReleaseIdempotencyKey(key, runId));
    return written.handle(
        (ok, failure) -> {
          if (failure != null) {
            // The answer still goes out; the key stays claimed until its lease ends.
            log.warn("could not {} an Idempotency-Key: {}", keep ? "keep" : "release", failure);
          }
          return response;
        });
  }

  private static HttpResponse replay(IdempotencyClaim claim) {
    HttpResponse response =
        HttpResponse.create()
            .withStatus(claim.status())
            .addHeader(NO_STORE)
            .addHeader(RawHeader.create(REPLAYED, "true"));
    return claim.body() == null || claim.body().isEmpty()
        ? response
        : response.withEntity(ContentTypes.APPLICATION_JSON, claim.body());
  }

  static String hash(String method, String path, byte[] body) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update((method + "\n" + path + "\n").getBytes(StandardCharsets.UTF_8));
      sha.update(body);
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
