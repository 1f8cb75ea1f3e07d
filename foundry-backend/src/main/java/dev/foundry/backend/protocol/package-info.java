/**
 * How actors and the HTTP layer address each other: one protocol per actor kind, holding its {@link
 * dev.foundry.backend.runtime.ActorType}, its typed address, its commands and queries, and the
 * values that cross actors. Events stay private to each actor.
 *
 * <p>Depends on {@code runtime}, {@code foundry-shared} and the value types of {@code
 * sandbox-runtime} only; actor packages and {@code http} import each other only through here.
 */
package dev.foundry.backend.protocol;
