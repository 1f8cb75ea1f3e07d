package dev.foundry.sandbox.git;

import dev.foundry.sandbox.client.SandboxAgentClient;
import dev.foundry.sandbox.process.ProcessRequest;
import dev.foundry.sandbox.process.ProcessRunResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Runs git in a sandbox through its process API (the backend never touches the sandbox's disk),
 * never prompting: a missing or wrong credential fails the command at once instead of waiting for a
 * password nobody will type.
 *
 * <p>Credentials live in {@code <home>/.foundry/git-credentials}, read by {@code git
 * credential-store}. Every call here passes the helper explicitly (after resetting inherited
 * helpers), and a clone also records it in the repository's config so that the agent's own git
 * commands in the sandbox authenticate the same way.
 */
public final class SandboxGit {

  /** Repository preparation in Foundry is allowed 5 minutes (spec foundry-surface §7.3). */
  public static final Duration CLONE_TIMEOUT = Duration.ofMinutes(5);

  public static final Duration COMMAND_TIMEOUT = Duration.ofMinutes(2);

  /** No prompt of any kind: terminal, askpass helper, credential manager, or ssh. */
  static final Map<String, String> NON_INTERACTIVE =
      Map.of(
          "GIT_TERMINAL_PROMPT", "0",
          "GIT_ASKPASS", "/bin/false",
          "SSH_ASKPASS", "/bin/false",
          "GCM_INTERACTIVE", "never",
          "GIT_SSH_COMMAND", "ssh -o BatchMode=yes");

  private final SandboxAgentClient client;
  private final String credentialDir;
  private final String credentialFile;

  /**
   * @param homeDir the sandbox's {@code $HOME}, absolute
   */
  public SandboxGit(SandboxAgentClient client, String homeDir) {
    this.client = client;
    this.credentialDir = homeDir + "/.foundry";
    this.credentialFile = credentialDir + "/git-credentials";
  }

  public String credentialFile() {
    return credentialFile;
  }

  /**
   * Writes the credential store (replacing it). The directory is made {@code 0700} first, so the
   * file is never readable by others even before its own {@code chmod 600}.
   */
  public CompletableFuture<Void> storeCredentials(List<GitCredentials> credentials) {
    StringBuilder content = new StringBuilder();
    credentials.forEach(c -> content.append(c.storeLine()));
    return run(
            ProcessRequest.of("install", "-d", "-m", "700", credentialDir),
            "create " + credentialDir)
        .thenCompose(r -> client.files().writeText(credentialFile, content.toString()))
        .thenCompose(
            n -> run(ProcessRequest.of("chmod", "600", credentialFile), "chmod credentials"))
        .thenAccept(r -> {});
  }

  /**
   * Clones {@code remoteUrl} into {@code directory} (absent or empty), checks out {@code branch}
   * (null: the remote's default), and configures the credential helper in the clone. A clone with
   * nothing checked out (an empty repository, or a remote {@code HEAD} that names a missing branch)
   * succeeds with a null branch and commit: the caller picks what to check out.
   */
  public CompletableFuture<CloneResult> cloneInto(
      String remoteUrl, String directory, String branch) {
    List<String> args = new ArrayList<>(List.of("clone", "--origin", "origin"));
    if (branch != null) {
      args.addAll(List.of("--branch", branch));
    }
    args.addAll(List.of("--", remoteUrl, directory));
    return git(null, CLONE_TIMEOUT, args)
        .thenApply(r -> r.orThrow("git clone of " + redact(remoteUrl)))
        .thenCompose(
            r ->
                git(
                    directory,
                    COMMAND_TIMEOUT,
                    List.of(
                        "config",
                        "--replace-all",
                        "credential.helper",
                        "store --file=" + credentialFile)))
        .thenApply(r -> r.orThrow("git config credential.helper"))
        .thenCompose(
            r ->
                git(
                    directory,
                    COMMAND_TIMEOUT,
                    List.of("rev-parse", "--verify", "--quiet", "HEAD^{commit}")))
        .thenCompose(
            head ->
                !head.succeeded()
                    ? CompletableFuture.completedFuture(new CloneResult(directory, null, null))
                    : git(directory, COMMAND_TIMEOUT, List.of("rev-parse", "--abbrev-ref", "HEAD"))
                        .thenApply(
                            abbrev ->
                                new CloneResult(
                                    directory,
                                    abbrev.orThrow("git rev-parse --abbrev-ref").stdout().strip(),
                                    head.stdout().strip())));
  }

  /** {@code git <args>} in {@code cwd}, non-interactive, with the credential store. */
  public CompletableFuture<ProcessRunResult> git(String cwd, Duration timeout, List<String> args) {
    List<String> full = new ArrayList<>();
    // The empty helper first drops helpers from any inherited config, so only the store is asked.
    full.addAll(
        List.of(
            "-c", "credential.helper=", "-c", "credential.helper=store --file=" + credentialFile));
    full.addAll(List.of("-c", "core.askPass="));
    full.addAll(args);
    ProcessRequest request =
        ProcessRequest.of("git", full).withEnv(NON_INTERACTIVE).withTimeout(timeout);
    if (cwd != null) {
      request = request.withCwd(cwd);
    }
    return client.processes().run(request);
  }

  public CompletableFuture<ProcessRunResult> git(String cwd, String... args) {
    return git(cwd, COMMAND_TIMEOUT, List.of(args));
  }

  private CompletableFuture<ProcessRunResult> run(ProcessRequest request, String what) {
    return client.processes().run(request).thenApply(r -> r.orThrow(what));
  }

  /** Remote URLs may carry a token in their user info; keep it out of messages. */
  static String redact(String url) {
    return url.replaceAll("://[^/@]+@", "://***@");
  }
}
