/**
 * Metrics for operators: one Micrometer registry per process, scraped as Prometheus text at {@code
 * GET /metrics}. {@link dev.foundry.backend.metrics.FoundryMetrics} owns the registry and the
 * meters of HTTP requests and of the durable runtime; the realtime endpoint registers its own. May
 * depend on the runtime (its {@code RuntimeMetrics} hook) and on Pekko HTTP; nothing depends on it
 * but the wiring ({@code FoundryApp}, {@code HttpServer}) and the realtime endpoint.
 */
package dev.foundry.backend.metrics;
