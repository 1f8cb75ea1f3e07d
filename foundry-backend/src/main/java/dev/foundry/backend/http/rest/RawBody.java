package dev.foundry.backend.http.rest;

/**
 * The request type of a route that takes its body as it came (a webhook, whose signature covers the
 * exact bytes): the router hands the bytes over unparsed and unchecked.
 */
public record RawBody(byte[] bytes) {}
