package dev.foundry.sandbox.provider.contract;

import dev.foundry.sandbox.provider.local.LocalSandboxSettings;
import dev.foundry.sandbox.provider.local.SandboxIsolation;
import dev.foundry.sandbox.provider.local.SandboxNetwork;
import java.util.function.UnaryOperator;

/**
 * The provider contract for the {@code isolated} provider without network: every call reaches the
 * server through the Unix socket relay, a restarted backend through a relay of its own.
 */
class IsolatedOfflineProviderContractTest extends LocalMachineryContract {

  @Override
  UnaryOperator<LocalSandboxSettings> settings() {
    return s -> s.withIsolation(SandboxIsolation.BWRAP).withNetwork(SandboxNetwork.NONE);
  }

  @Override
  String expectedProviderId() {
    return "isolated";
  }
}
