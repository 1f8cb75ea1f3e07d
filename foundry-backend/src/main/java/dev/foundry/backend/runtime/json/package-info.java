/**
 * JSON for what the runtime persists: one Jackson mapper per actor system, types registered under
 * their stable {@code @JsonTypeName}s, and the Pekko serializer that uses it. Java class names
 * never reach the journal, so renaming a class never breaks an old journal.
 */
package dev.foundry.backend.runtime.json;
