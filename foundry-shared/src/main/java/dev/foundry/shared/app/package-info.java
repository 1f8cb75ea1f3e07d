/** Records of {@code app-shell.ts}: the per-user app snapshot, users and organizations. */
package dev.foundry.shared.app;
