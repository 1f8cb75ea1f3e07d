package dev.foundry.backend.user;

import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.protocol.UserProtocol.SealedCredential;
import dev.foundry.backend.runtime.ActorNotFoundException;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.shared.app.FoundryAppSnapshot.ProviderCredentials;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * Stores and reads a user's agent credentials through their user actor, sealing on the way in and
 * opening on the way out: the clear text exists only in the caller's memory.
 */
public final class ProviderCredentialStore {
  private final DurableRuntime runtime;
  private final CredentialCipher cipher;

  public ProviderCredentialStore(DurableRuntime runtime, CredentialCipher cipher) {
    this.runtime = runtime;
    this.cipher = cipher;
  }

  /** A credential in clear; its {@code toString} never prints the content. */
  public record ProviderCredential(String provider, String credentialFileJson, String filePath) {
    @Override
    public String toString() {
      return "ProviderCredential[" + provider + ", " + filePath + ", <redacted>]";
    }
  }

  public CompletionStage<ProviderCredentials> store(
      String userId, String provider, String credentialFileJson, String filePath) {
    SealedCredential sealed = cipher.seal(userId, provider, credentialFileJson);
    return runtime
        .getOrCreate(UserProtocol.TYPE, UserProtocol.key(userId))
        .ask(new UserProtocol.StoreProviderCredential(provider, sealed, filePath));
  }

  /** The user's credentials in clear, by provider. */
  public CompletionStage<Map<String, ProviderCredential>> load(String userId) {
    return runtime
        .get(UserProtocol.TYPE, UserProtocol.key(userId))
        .query(new UserActor.GetSealedCredentials())
        .exceptionally(
            failure -> {
              Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
              if (cause instanceof ActorNotFoundException) {
                return List.of(); // a user never created has no credentials
              }
              throw new CompletionException(cause);
            })
        .thenApply(
            stored -> {
              Map<String, ProviderCredential> out = new LinkedHashMap<>();
              for (StoredCredential s : stored) {
                out.put(
                    s.provider(),
                    new ProviderCredential(
                        s.provider(),
                        cipher.open(userId, s.provider(), s.credential()),
                        s.filePath()));
              }
              return out;
            });
  }
}
