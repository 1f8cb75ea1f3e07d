/**
 * Who a request comes from: the session cookie ({@link
 * dev.foundry.backend.http.auth.SessionCookie}) and the server-side sessions behind it ({@link
 * dev.foundry.backend.http.auth.CookieSessions}, the process's {@link
 * dev.foundry.backend.http.auth.Authenticator}), kept in the app organization actor's session
 * index; and GitHub sign-in ({@link dev.foundry.backend.http.auth.GithubSignIn}).
 *
 * <p>May depend on {@code runtime}, {@code config}, the {@code organization} protocol and {@code
 * github}; never on routes.
 */
package dev.foundry.backend.http.auth;
