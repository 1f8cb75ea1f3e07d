package dev.foundry.sandbox.provider.contract;

import dev.foundry.sandbox.provider.local.LocalSandboxSettings;
import dev.foundry.sandbox.provider.local.SandboxIsolation;
import java.util.function.UnaryOperator;

/** The provider contract for the {@code isolated} provider (the local machinery under bwrap). */
class IsolatedProviderContractTest extends LocalMachineryContract {

  @Override
  UnaryOperator<LocalSandboxSettings> settings() {
    return s -> s.withIsolation(SandboxIsolation.BWRAP);
  }

  @Override
  String expectedProviderId() {
    return "isolated";
  }
}
