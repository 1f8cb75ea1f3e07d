/**
 * The {@code remote} provider: sandboxes as directories of one sandbox-agent server that runs
 * elsewhere (a hosted sandbox, the {@code sandbox-agent} service of {@code compose.dev.yaml}),
 * driven through its HTTP API only.
 */
package dev.foundry.sandbox.provider.remote;
