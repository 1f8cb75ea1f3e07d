/**
 * Git inside a sandbox, run through the sandbox's process API: credentials in a {@code git
 * credential-store} file ({@code 0600}, in a {@code 0700} directory under the sandbox's home),
 * every git call non-interactive, and cloning a repository into the work dir.
 *
 * <p>Depends on {@code dev.foundry.sandbox.client}, {@code process} and {@code fs}.
 */
package dev.foundry.sandbox.git;
