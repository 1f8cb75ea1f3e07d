/**
 * The template for writing an actor on the durable runtime: a to-do list with commands, events,
 * tables, queries, an I/O command and a realtime broadcast. Copy its shape.
 */
package dev.foundry.backend.runtime.todo;
