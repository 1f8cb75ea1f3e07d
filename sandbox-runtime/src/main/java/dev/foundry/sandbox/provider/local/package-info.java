/**
 * The {@code local} sandbox provider: one sandbox-agent server process per sandbox on 127.0.0.1,
 * with its own port, bearer token, {@code HOME}, {@code XDG_DATA_HOME} and work dir under the
 * provider's root directory, started as the leader of its own process group and session so that
 * stopping it ends everything it started. Each sandbox is recorded in {@code sandbox.json} so a
 * restarted backend finds it again.
 *
 * <p>Linux first ({@code setsid}, {@code /proc}); other Unixes fall back to {@code ProcessHandle}.
 * Depends on {@code dev.foundry.sandbox.provider}, {@code client} and {@code agent}.
 */
package dev.foundry.sandbox.provider.local;
