package dev.foundry.sandbox.provider.contract;

import dev.foundry.sandbox.provider.SandboxProvider;
import dev.foundry.sandbox.provider.local.LocalSandboxProvider;
import dev.foundry.sandbox.provider.local.LocalSandboxSettings;
import dev.foundry.sandbox.support.SandboxAgentBinary;
import dev.foundry.sandbox.support.TestSandboxes;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.UnaryOperator;

/** The contract for the providers that start one server per sandbox on this machine. */
abstract class LocalMachineryContract extends SandboxProviderContract {

  TestSandboxes sandboxes;

  /** The settings of the provider under test, from the plain local ones. */
  abstract UnaryOperator<LocalSandboxSettings> settings();

  @Override
  SandboxProvider newProvider() {
    sandboxes = new TestSandboxes("contract", settings());
    return sandboxes.provider();
  }

  @Override
  SandboxProvider restartedBackend() {
    // The old backend's process is gone after a restart, and with it what it held on the host
    // (the relays to servers without network); its sandboxes run on.
    sandboxes.provider().close();
    return new LocalSandboxProvider(
        settings()
            .apply(
                LocalSandboxSettings.of(
                    sandboxes.root(), SandboxAgentBinary.path(), sandboxes.executor())));
  }

  @Override
  void release() {
    sandboxes.close();
  }

  @Override
  Optional<Long> serverPid(SandboxProvider seenBy, String sandboxId) {
    return ((LocalSandboxProvider) seenBy).serverPid(sandboxId);
  }

  @Override
  Path hostDir(String sandboxId) {
    return sandboxes.root().resolve(sandboxId);
  }
}
