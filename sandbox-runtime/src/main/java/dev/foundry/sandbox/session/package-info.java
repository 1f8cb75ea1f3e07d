/**
 * Agent sessions on top of ACP: {@link dev.foundry.sandbox.session.AgentSession} creates a session
 * ({@code initialize} + {@code session/new}), runs prompt turns without blocking the caller ({@link
 * dev.foundry.sandbox.session.AgentTurn}), streams typed {@link
 * dev.foundry.sandbox.session.SessionUpdate}s, answers permission requests through a {@link
 * dev.foundry.sandbox.session.PermissionHandler}, cancels, switches mode/model, and closes.
 *
 * <p>Depends on {@code dev.foundry.sandbox.acp} and {@code dev.foundry.sandbox.client}.
 */
package dev.foundry.sandbox.session;
