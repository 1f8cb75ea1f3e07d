package dev.foundry.shared.sandbox;

import java.util.List;

/**
 * The {@code sandboxProcesses} topic: its snapshot and every {@code processesUpdated} event (the
 * processes the sandbox recorded, oldest first).
 */
public record SandboxProcesses(List<ProcessRecord> processes) {
  public SandboxProcesses {
    processes = processes == null ? List.of() : List.copyOf(processes);
  }
}
