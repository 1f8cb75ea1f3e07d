/**
 * The wire shapes of a task's sandbox: what {@code GET .../sandbox} answers and the {@code
 * sandboxProcesses} topic carries. The sandbox actor answers them to the task too.
 */
package dev.foundry.shared.sandbox;
