package dev.foundry.sandbox.agent;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.foundry.sandbox.client.AgentInstallation;
import dev.foundry.sandbox.client.SandboxAgentClient;
import dev.foundry.sandbox.client.SandboxAgentException;
import dev.foundry.sandbox.process.ProcessRequest;
import java.io.File;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/**
 * Installs the {@link OfflineAgent} into a sandbox in the slot of sandbox-agent's built-in {@code
 * mock}: the server runs whatever launcher script sits at the mock's install path (spec
 * sandbox-agent-api.md §7.4), so {@code ?agent=mock} then starts our agent.
 *
 * <p>The launcher runs the same {@code java} as this JVM with this module's classes and Jackson on
 * the class path, so it is meant for sandboxes that share the host's file system (the local
 * provider; the isolated one mounts the JVM and these class path entries read-only). A container
 * provider would ship the agent in its image instead.
 */
public final class OfflineAgentLauncher {

  /** The agent id sessions use to reach the offline agent once it is installed. */
  public static final String AGENT_ID = "mock";

  private OfflineAgentLauncher() {}

  /**
   * (Re)installs the mock agent, overwrites its launcher with ours, and makes it executable.
   * Completes with the launcher's path in the sandbox. Reinstalling each time keeps the launcher in
   * step with the current JVM and class path after an upgrade of the backend.
   */
  public static CompletableFuture<String> install(SandboxAgentClient client) {
    return client
        .installAgent(AGENT_ID, true)
        .thenApply(OfflineAgentLauncher::launcherPath)
        .thenCompose(
            path ->
                client
                    .files()
                    .writeText(path, script())
                    .thenCompose(
                        written -> client.processes().run(ProcessRequest.of("chmod", "755", path)))
                    .thenApply(
                        result -> {
                          result.orThrow("chmod of the offline agent launcher");
                          return path;
                        }));
  }

  /** The launcher script for this JVM: {@code exec java ... OfflineAgent}. */
  public static String script() {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String classPath =
        classPathOf(OfflineAgent.class, ObjectMapper.class, JsonFactory.class, JsonProperty.class);
    // A short-lived, small JVM: C1 only and the serial collector start fastest.
    return "#!/bin/sh\n"
        + "# Foundry offline ACP agent (written by OfflineAgentLauncher; replaces the echo mock).\n"
        + "exec "
        + quote(java)
        + " -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xss512k -Xmx128m -Xshare:auto"
        + " -cp "
        + quote(classPath)
        + " "
        + OfflineAgent.class.getName()
        + " \"$@\"\n";
  }

  /**
   * The class path entries the launcher script names: what an isolating provider must make readable
   * inside a sandbox.
   */
  public static List<Path> classPathEntries() {
    return java.util.Arrays.stream(
            classPathOf(
                    OfflineAgent.class, ObjectMapper.class, JsonFactory.class, JsonProperty.class)
                .split(File.pathSeparator))
        .map(Path::of)
        .toList();
  }

  static String classPathOf(Class<?>... classes) {
    Set<String> entries = new LinkedHashSet<>();
    for (Class<?> c : classes) {
      try {
        entries.add(
            Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
      } catch (URISyntaxException | NullPointerException e) {
        throw new IllegalStateException("cannot locate the class path entry of " + c, e);
      }
    }
    return entries.stream().collect(Collectors.joining(File.pathSeparator));
  }

  private static String launcherPath(AgentInstallation installation) {
    List<AgentInstallation.Artifact> artifacts = installation.artifacts();
    return artifacts.stream()
        .filter(a -> "agent_process".equalsIgnoreCase(a.kind()) || "AgentProcess".equals(a.kind()))
        .map(AgentInstallation.Artifact::path)
        .findFirst()
        .orElseThrow(
            () ->
                new SandboxAgentException(
                    "installing mock gave no agent_process launcher: " + artifacts));
  }

  /** Single-quotes for sh. */
  private static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }
}
