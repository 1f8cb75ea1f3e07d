/**
 * The HTTP server: routes, the JSON error shape, request logging and CORS for {@code APP_URL}. The
 * realtime WebSocket lives in {@code http.realtime}, sign-in in {@code http.auth}. Routes talk to
 * actors through the runtime and their protocols; they never open a database or read a {@code
 * *Tables} class.
 */
package dev.foundry.backend.http;
