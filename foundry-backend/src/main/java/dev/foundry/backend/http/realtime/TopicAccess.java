package dev.foundry.backend.http.realtime;

import dev.foundry.backend.http.auth.SignedInUser;
import java.util.concurrent.CompletionStage;

/**
 * What the realtime endpoint asks before a subscription: may this user see {@code topic}/{@code
 * id}, and what is its current full snapshot. The stage fails with an {@link
 * dev.foundry.backend.http.ApiException} (404 for anything the user may not see or that does not
 * exist, 400 for an unknown topic) and then nothing is subscribed.
 */
@FunctionalInterface
public interface TopicAccess {
  CompletionStage<Object> snapshot(SignedInUser user, String topic, String id);
}
