/**
 * Who a request comes from: the session cookie ({@link
 * dev.foundry.backend.http.auth.SessionCookie}) and the server-side sessions behind it ({@link
 * dev.foundry.backend.http.auth.CookieSessions}, the process's {@link
 * dev.foundry.backend.http.auth.Authenticator}), kept in the app organization actor's session
 * index.
 *
 * <p>May depend on {@code runtime}, {@code config} and the {@code organization} protocol; never on
 * routes.
 */
package dev.foundry.backend.http.auth;
