package dev.foundry.backend.user;

import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.runtime.ActorNotFoundException;
import dev.foundry.backend.runtime.DurableRuntime;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Stores and reads users' GitHub accounts through their user actors, sealing the OAuth token on the
 * way in and opening it on the way out (as {@link ProviderCredentialStore} does for agent keys,
 * with the provider {@value #PROVIDER} as associated data): the clear token exists only in the
 * caller's memory.
 */
public final class GithubAccountStore {
  static final String PROVIDER = "github";

  private final DurableRuntime runtime;
  private final CredentialCipher cipher;

  public GithubAccountStore(DurableRuntime runtime, CredentialCipher cipher) {
    this.runtime = runtime;
    this.cipher = cipher;
  }

  /** A user's GitHub account with the token in clear; {@code toString} hides the token. */
  public record GithubAccount(
      String accountId, String login, String scope, String token, Long tokenExpiresAt) {
    @Override
    public String toString() {
      return "GithubAccount[" + login + " (" + accountId + "), scope=" + scope + ", token=***]";
    }
  }

  public CompletionStage<Boolean> store(String userId, GithubAccount account) {
    return runtime
        .getOrCreate(UserProtocol.TYPE, UserProtocol.key(userId))
        .ask(
            new UserProtocol.StoreGithubAccount(
                account.accountId(),
                account.login(),
                account.scope(),
                cipher.seal(userId, PROVIDER, account.token()),
                account.tokenExpiresAt()));
  }

  /** The user's account; empty for a user without one (never signed in with GitHub). */
  public CompletionStage<Optional<GithubAccount>> load(String userId) {
    return runtime
        .get(UserProtocol.TYPE, UserProtocol.key(userId))
        .query(new UserActor.GetGithubAccount())
        .exceptionally(
            failure -> {
              Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
              if (cause instanceof ActorNotFoundException) {
                return null;
              }
              throw new CompletionException(cause);
            })
        .thenApply(
            stored ->
                Optional.ofNullable(stored)
                    .map(
                        s ->
                            new GithubAccount(
                                s.accountId(),
                                s.login(),
                                s.scope(),
                                cipher.open(userId, PROVIDER, s.token()),
                                s.tokenExpiresAt())));
  }
}
