package dev.foundry.backend.runtime;

import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * A mutation sent to an actor; persisted in the journal before it is acknowledged. {@code R} is the
 * type of the result a waiting caller receives. Every concrete command is a record with a stable
 * {@code @JsonTypeName} (never the Java class name on disk).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@type")
public interface DurableCommand<R> {}
