/**
 * The REST API: one table of endpoints ({@link dev.foundry.backend.http.rest.RestApi}) that the
 * router serves ({@link dev.foundry.backend.http.rest.RestRoutes}) and the OpenAPI document
 * describes ({@link dev.foundry.backend.http.rest.OpenApiDocument}); request records read strictly
 * ({@link dev.foundry.backend.http.rest.ApiJson}); the one mapping from actor failures to HTTP
 * errors ({@link dev.foundry.backend.http.rest.ApiErrors}); and who may see what ({@link
 * dev.foundry.backend.http.rest.ResourceAccess}, also behind the realtime topics' {@link
 * dev.foundry.backend.http.rest.TopicSnapshots}).
 *
 * <p>Handlers ({@code AuthApi}, {@code AppApi}, {@code OrganizationApi}, {@code TaskApi}, {@code
 * BillingApi}) talk to actors through the runtime only. To add a route: a request record in {@code
 * RequestBodies} if it takes a body ({@code RawBody} for a webhook whose signature covers the exact
 * bytes), a handler method, and one row in {@code RestApi}.
 */
package dev.foundry.backend.http.rest;
