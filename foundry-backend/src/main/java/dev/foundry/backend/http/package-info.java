/**
 * The HTTP server: routes, the JSON error shape, request logging and (later) the realtime hub.
 * Routes talk to actors through the runtime; they never open a database themselves.
 */
package dev.foundry.backend.http;
