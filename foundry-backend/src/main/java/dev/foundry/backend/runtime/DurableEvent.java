package dev.foundry.backend.runtime;

import com.fasterxml.jackson.annotation.JsonTypeInfo;

/**
 * A fact an actor persisted, applied to its tables. Every concrete event is a record with a stable
 * {@code @JsonTypeName}, named in the past tense.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "@type")
public interface DurableEvent {}
