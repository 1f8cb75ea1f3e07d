package dev.foundry.sandbox.git;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.foundry.sandbox.process.ProcessFailedException;
import dev.foundry.sandbox.process.ProcessRunResult;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.support.GitHttpServer;
import dev.foundry.sandbox.support.TestSandboxes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Cloning inside a sandbox through its process API, with credentials from a credential-store file:
 * a local bare repository over {@code file://}, and the same one behind an HTTP server that demands
 * Basic auth (what GitHub does), where a missing credential must fail without prompting.
 */
class SandboxGitTest {

  static TestSandboxes sandboxes;
  static Path upstream;
  static String upstreamHead;

  @BeforeAll
  static void createUpstream() throws Exception {
    sandboxes = new TestSandboxes("git");
    upstream = sandboxes.root().resolve("upstream");
    Path seed = sandboxes.root().resolve("seed");
    Files.createDirectories(seed);
    Files.writeString(seed.resolve("README.md"), "# upstream\n");
    sh(
        seed,
        "git init -q -b main . && git add README.md"
            + " && git -c user.email=t@example.com -c user.name=t commit -qm init"
            + " && git checkout -qb feature && echo f > feature.txt && git add feature.txt"
            + " && git -c user.email=t@example.com -c user.name=t commit -qm feature && git checkout -q main");
    sh(sandboxes.root(), "git clone -q --bare seed upstream/repo.git");
    upstreamHead = sh(seed, "git rev-parse main").strip();
  }

  @AfterAll
  static void cleanUp() {
    sandboxes.close();
  }

  @Test
  void aLocalBareRepositoryIsClonedIntoTheWorkDirWithTheCredentialStoreConfigured()
      throws Exception {
    Sandbox sandbox = sandboxes.create("git-file", false);
    SandboxGit git = new SandboxGit(sandbox.client(), sandbox.homeDir());
    git.storeCredentials(
            List.of(GitCredentials.of("https://github.com", "x-access-token", "t0k3n")))
        .join();

    CloneResult clone =
        git.cloneInto("file://" + upstream.resolve("repo.git"), sandbox.workDir(), null)
            .orTimeout(60, TimeUnit.SECONDS)
            .join();

    assertThat(clone.branch()).isEqualTo("main");
    assertThat(clone.headCommit()).isEqualTo(upstreamHead);
    assertThat(Path.of(sandbox.workDir(), "README.md")).hasContent("# upstream");
    Path store = Path.of(git.credentialFile());
    assertThat(Files.readString(store)).isEqualTo("https://x-access-token:t0k3n@github.com\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.getParent())))
        .isEqualTo("rwx------");
    ProcessRunResult helper =
        git.git(sandbox.workDir(), "config", "--local", "credential.helper").join();
    assertThat(helper.stdout().strip()).isEqualTo("store --file=" + git.credentialFile());
    // The agent's own git in the sandbox sees a normal repository.
    ProcessRunResult status = git.git(sandbox.workDir(), "status", "--porcelain=v1", "-b").join();
    assertThat(status.stdout()).startsWith("## main...origin/main");
  }

  @Test
  void anAuthenticatedHttpRemoteIsClonedWithTheStoredCredentialAndABranchCheckedOut()
      throws Exception {
    try (GitHttpServer remote = new GitHttpServer(upstream, "octocat", "s3cret/+token")) {
      Sandbox sandbox = sandboxes.create("git-http", false);
      SandboxGit git = new SandboxGit(sandbox.client(), sandbox.homeDir());
      git.storeCredentials(List.of(GitCredentials.of(remote.origin(), "octocat", "s3cret/+token")))
          .join();

      CloneResult clone =
          git.cloneInto(remote.url("repo.git"), sandbox.workDir(), "feature")
              .orTimeout(60, TimeUnit.SECONDS)
              .join();

      assertThat(clone.branch()).isEqualTo("feature");
      assertThat(Path.of(sandbox.workDir(), "feature.txt")).exists();
      // Later fetches authenticate the same way, without any prompt.
      assertThat(git.git(sandbox.workDir(), "fetch", "origin", "--prune").join().succeeded())
          .isTrue();
    }
  }

  @Test
  void aCloneWithoutAMatchingCredentialFailsAtOnceInsteadOfPrompting() throws Exception {
    try (GitHttpServer remote = new GitHttpServer(upstream, "octocat", "right")) {
      Sandbox sandbox = sandboxes.create("git-denied", false);
      SandboxGit git = new SandboxGit(sandbox.client(), sandbox.homeDir());
      git.storeCredentials(List.of(GitCredentials.of("https://github.com", "octocat", "elsewhere")))
          .join();

      assertThatThrownBy(
              () ->
                  git.cloneInto(remote.url("repo.git"), sandbox.workDir(), null)
                      .orTimeout(60, TimeUnit.SECONDS)
                      .join())
          .hasCauseInstanceOf(ProcessFailedException.class)
          .hasMessageContaining("terminal prompts disabled");
      assertThat(remote.unauthorizedRequests()).isPositive();
    }
  }

  private static String sh(Path dir, String script) throws IOException, InterruptedException {
    Process p =
        new ProcessBuilder("sh", "-c", script)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes());
    if (p.waitFor() != 0) {
      throw new IllegalStateException(script + " failed: " + out);
    }
    return out;
  }
}
