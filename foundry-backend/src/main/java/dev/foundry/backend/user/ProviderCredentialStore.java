package dev.foundry.backend.user;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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

  /** The environment variable that carries each provider's API key into a sandbox. */
  public static final Map<String, String> KEY_VARIABLES =
      Map.of("anthropic", "ANTHROPIC_API_KEY", "openai", "OPENAI_API_KEY");

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Stores {@code apiKey} as the user's key for {@code provider} (sealed): the credential is {@code
   * {"apiKey": ...}} and its path {@code env:<VARIABLE>}, the variable it reaches sandboxes in.
   * Answers which providers have a key.
   */
  public CompletionStage<ProviderCredentials> storeApiKey(
      String userId, String provider, String apiKey) {
    String variable = KEY_VARIABLES.get(provider);
    if (variable == null) {
      throw new IllegalArgumentException("unknown provider " + provider);
    }
    String json = JSON.createObjectNode().put("apiKey", apiKey).toString();
    return store(userId, provider, json, "env:" + variable);
  }

  public CompletionStage<ProviderCredentials> remove(String userId, String provider) {
    return runtime
        .getOrCreate(UserProtocol.TYPE, UserProtocol.key(userId))
        .ask(new UserProtocol.RemoveProviderCredential(provider));
  }

  /**
   * The user's API keys as sandbox environment variables ({@link #KEY_VARIABLES}); a credential
   * that holds no {@code apiKey} (a credential file of another shape) is left out.
   */
  public CompletionStage<Map<String, String>> agentKeys(String userId) {
    return load(userId)
        .thenApply(
            credentials -> {
              Map<String, String> env = new LinkedHashMap<>();
              credentials.forEach(
                  (provider, credential) -> {
                    String variable = KEY_VARIABLES.get(provider);
                    String key = apiKeyOf(credential.credentialFileJson());
                    if (variable != null && key != null) {
                      env.put(variable, key);
                    }
                  });
              return env;
            });
  }

  private static String apiKeyOf(String credentialJson) {
    try {
      JsonNode key = JSON.readTree(credentialJson).path("apiKey");
      return key.isTextual() && !key.asText().isBlank() ? key.asText() : null;
    } catch (JsonProcessingException | RuntimeException e) {
      return null;
    }
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
