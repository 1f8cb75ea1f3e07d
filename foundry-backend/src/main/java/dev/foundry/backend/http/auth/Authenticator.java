package dev.foundry.backend.http.auth;

import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/** Resolves the session cookie of a request (REST or WebSocket upgrade) to its user. */
@FunctionalInterface
public interface Authenticator {
  /** The signed-in user of the request's session cookie; empty when absent, unknown or ended. */
  CompletionStage<Optional<SignedInUser>> authenticate(HttpRequest request);
}
