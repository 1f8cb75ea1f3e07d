/**
 * The durable actor runtime every product actor is written on (docs/architecture.md).
 *
 * <p>An actor is a {@link dev.foundry.backend.runtime.DurableActor}: commands go through a queue
 * persisted in the Pekko journal, are processed one at a time in arrival order, and their domain
 * events are applied to the actor's own SQLite file ({@link
 * dev.foundry.backend.runtime.ActorTables}) together with the journal sequence number, so replay is
 * exactly-once for the tables. Queries read the tables without touching the journal. Callers
 * address actors by {@link dev.foundry.backend.runtime.ActorType} and key through {@link
 * dev.foundry.backend.runtime.DurableRuntime} and get a {@link
 * dev.foundry.backend.runtime.DurableRef}; only an actor and the wiring see its {@link
 * dev.foundry.backend.runtime.ActorKind}.
 *
 * <p>May depend on Pekko, Jackson, sqlite-jdbc and {@code db-migrations}; never on a product actor,
 * a protocol, {@code config} or {@code http}.
 */
package dev.foundry.backend.runtime;
