/**
 * Processes inside a sandbox ({@code /v1/processes*}): run a command to completion, start one in
 * the background, read its logs, write to its stdin, stop or kill it. Git runs through here.
 *
 * <p>Depends on {@code dev.foundry.sandbox.client} only.
 */
package dev.foundry.sandbox.process;
