package dev.foundry.sandbox.provider.contract;

import dev.foundry.sandbox.client.SandboxAgentClient;
import dev.foundry.sandbox.provider.SandboxProvider;
import dev.foundry.sandbox.provider.remote.RemoteSandboxProvider;
import dev.foundry.sandbox.support.RemoteTestServer;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The provider contract for the {@code remote} provider, against a sandbox-agent server this test
 * starts itself ({@code server --host 127.0.0.1 --port P --token T --no-telemetry}), as an operator
 * would. The server is shared by every sandbox ({@link #sharedServer()}).
 */
class RemoteProviderContractTest extends SandboxProviderContract {

  RemoteTestServer server;
  ExecutorService executor;

  @Override
  SandboxProvider newProvider() {
    server = new RemoteTestServer("contract");
    executor = Executors.newCachedThreadPool(SandboxAgentClient.daemonThreads("test-remote"));
    return restartedBackend();
  }

  @Override
  SandboxProvider restartedBackend() {
    return new RemoteSandboxProvider(
        server.endpoint(), server.dir().resolve("sandboxes").toString(), executor);
  }

  @Override
  void release() {
    try {
      for (var s : provider.list().get(30, TimeUnit.SECONDS)) {
        provider.destroy(s.sandboxId()).get(30, TimeUnit.SECONDS);
      }
    } catch (Exception e) {
      throw new IllegalStateException("cleanup failed", e);
    } finally {
      server.close();
      executor.shutdownNow();
    }
  }

  @Override
  boolean sharedServer() {
    return true;
  }

  @Override
  String expectedProviderId() {
    return "remote";
  }

  @Override
  Optional<Long> serverPid(SandboxProvider seenBy, String sandboxId) {
    return Optional.of(server.pid());
  }

  @Override
  Path hostDir(String sandboxId) {
    return server.dir().resolve("sandboxes").resolve(sandboxId);
  }
}
