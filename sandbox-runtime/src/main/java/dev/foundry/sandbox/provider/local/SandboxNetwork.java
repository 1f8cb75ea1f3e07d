package dev.foundry.sandbox.provider.local;

import java.util.Locale;
import java.util.Optional;

/**
 * What a sandbox may reach on the network ({@code FOUNDRY_SANDBOX_NETWORK}). Only the {@code
 * isolated} provider can take it away: {@link #NONE} puts the sandbox in a network namespace of its
 * own, and the backend reaches its server through a Unix socket ({@link ServerSocketRelay}).
 */
public enum SandboxNetwork {
  /** The host's network, loopback included: the backend reaches the server on 127.0.0.1. */
  FULL("full"),
  /**
   * Only a loopback of its own ({@code bwrap --unshare-net}): neither the host's loopback services
   * (the backend's port, other sandboxes' servers) nor any other address; for offline agents.
   */
  NONE("none");

  private final String setting;

  SandboxNetwork(String setting) {
    this.setting = setting;
  }

  /** The value of {@code FOUNDRY_SANDBOX_NETWORK}. */
  public String setting() {
    return setting;
  }

  /** {@code full} or {@code none}, case-insensitive; empty for anything else. */
  public static Optional<SandboxNetwork> parse(String raw) {
    String value = raw == null ? "" : raw.trim().toLowerCase(Locale.ROOT);
    for (SandboxNetwork n : values()) {
      if (n.setting.equals(value)) {
        return Optional.of(n);
      }
    }
    return Optional.empty();
  }
}
