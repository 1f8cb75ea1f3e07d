/**
 * The {@code audit-log} actor: one append-only feed per organization of what happened to its tasks
 * (spec §9.1). Callers append with {@code tell} through {@link
 * dev.foundry.backend.auditlog.AuditLog#record}, so an audit failure never affects them.
 *
 * <p>May depend on {@code runtime} and {@code foundry-shared}.
 */
package dev.foundry.backend.auditlog;
