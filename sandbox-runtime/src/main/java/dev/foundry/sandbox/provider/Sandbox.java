package dev.foundry.sandbox.provider;

import dev.foundry.sandbox.client.SandboxAgentClient;
import dev.foundry.sandbox.client.SandboxAgentEndpoint;

/**
 * A running sandbox as a provider hands it out: where its server is, its directories as seen from
 * inside, and a client for it. Closing the handle releases the client only; the sandbox keeps
 * running until its provider stops or destroys it.
 */
public final class Sandbox implements AutoCloseable {

  private final String id;
  private final String providerId;
  private final String homeDir;
  private final String workDir;
  private final SandboxAgentClient client;

  public Sandbox(
      String id, String providerId, String homeDir, String workDir, SandboxAgentClient client) {
    this.id = id;
    this.providerId = providerId;
    this.homeDir = homeDir;
    this.workDir = workDir;
    this.client = client;
  }

  public String id() {
    return id;
  }

  public String providerId() {
    return providerId;
  }

  /** {@code $HOME} of the server and of everything it runs. */
  public String homeDir() {
    return homeDir;
  }

  /** The directory the repository is cloned into and sessions work in. */
  public String workDir() {
    return workDir;
  }

  public SandboxAgentEndpoint endpoint() {
    return client.endpoint();
  }

  public SandboxAgentClient client() {
    return client;
  }

  @Override
  public void close() {
    client.close();
  }

  @Override
  public String toString() {
    return "Sandbox[" + providerId + "/" + id + " at " + client.endpoint().baseUri() + "]";
  }
}
