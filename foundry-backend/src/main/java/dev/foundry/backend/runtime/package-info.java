/**
 * The durable actor runtime every product actor is written on (DESIGN.md §4).
 *
 * <p>An actor is a {@link dev.foundry.backend.runtime.DurableActor}: commands go through a queue
 * persisted in the Pekko journal, are processed one at a time in arrival order, and their domain
 * events are applied to the actor's own SQLite file ({@link
 * dev.foundry.backend.runtime.ActorTables}) together with the journal sequence number, so replay is
 * exactly-once for the tables. Queries read the tables without touching the journal. Callers
 * address actors by kind and key through {@link dev.foundry.backend.runtime.DurableRuntime} and get
 * a {@link dev.foundry.backend.runtime.DurableRef}.
 *
 * <p>May depend on Pekko, Jackson, sqlite-jdbc and {@code db-migrations}; never on a product actor
 * package or on {@code http}.
 */
package dev.foundry.backend.runtime;
