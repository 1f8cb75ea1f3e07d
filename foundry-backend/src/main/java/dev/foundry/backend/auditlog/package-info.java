/**
 * The {@code audit-log} actor: one append-only feed per organization of what happened to its tasks
 * (spec §9.1). Callers append with {@code tell} through {@code AuditLogProtocol.record}, so an
 * audit failure never affects them.
 *
 * <p>May depend on {@code runtime}, {@code protocol} and {@code foundry-shared}; never on another
 * actor package or on HTTP.
 */
package dev.foundry.backend.auditlog;
