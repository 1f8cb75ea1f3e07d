/**
 * Records of {@code workspace.ts}: task and session summaries and details, organization summary.
 */
package dev.foundry.shared.workspace;
