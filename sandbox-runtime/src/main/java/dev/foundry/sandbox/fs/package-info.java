/**
 * The file system of a sandbox ({@code /v1/fs/*}): raw bytes in and out, stat, directory entries,
 * mkdir, move, delete, and tar upload (with {@link dev.foundry.sandbox.fs.TarArchive} to build
 * one). Paths are always absolute: the server resolves relative ones against its {@code $HOME}.
 *
 * <p>Depends on {@code dev.foundry.sandbox.client} only.
 */
package dev.foundry.sandbox.fs;
