package dev.foundry.sandbox.provider.contract;

import dev.foundry.sandbox.provider.local.LocalSandboxSettings;
import java.util.function.UnaryOperator;

/** The provider contract for the unisolated {@code local} provider. */
class LocalProviderContractTest extends LocalMachineryContract {

  @Override
  UnaryOperator<LocalSandboxSettings> settings() {
    return UnaryOperator.identity();
  }

  @Override
  String expectedProviderId() {
    return "local";
  }
}
