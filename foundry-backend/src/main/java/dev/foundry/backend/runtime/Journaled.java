package dev.foundry.backend.runtime;

/**
 * Marker of what the runtime writes to the journal and snapshot store; bound to {@link
 * dev.foundry.backend.runtime.json.FoundryJsonSerializer} in {@code runtime.conf}.
 */
public interface Journaled {}
