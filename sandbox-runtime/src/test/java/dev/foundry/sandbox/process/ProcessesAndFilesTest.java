package dev.foundry.sandbox.process;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.foundry.sandbox.client.ConflictException;
import dev.foundry.sandbox.client.InvalidRequestException;
import dev.foundry.sandbox.client.NotFoundException;
import dev.foundry.sandbox.fs.FileEntry;
import dev.foundry.sandbox.fs.SandboxFiles;
import dev.foundry.sandbox.fs.TarArchive;
import dev.foundry.sandbox.provider.Sandbox;
import dev.foundry.sandbox.support.TestSandboxes;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The process and file system APIs against a real server, no agent involved. */
class ProcessesAndFilesTest {

  static TestSandboxes sandboxes;
  static Sandbox sandbox;
  static SandboxProcesses processes;
  static SandboxFiles files;

  @BeforeAll
  static void startSandbox() {
    sandboxes = new TestSandboxes("procfs");
    sandbox = sandboxes.create("procfs-box", false);
    processes = sandbox.client().processes();
    files = sandbox.client().files();
  }

  @AfterAll
  static void destroySandbox() {
    sandboxes.close();
  }

  @Test
  void aRunReportsExitCodeAndBothStreamsInTheGivenDirectoryAndEnvironment() {
    ProcessRunResult result =
        processes
            .run(
                ProcessRequest.shell("echo out $FOO; pwd; echo err >&2; exit 3")
                    .withCwd(sandbox.workDir())
                    .withEnv("FOO", "bar"))
            .join();

    assertThat(result.exitCode()).isEqualTo(3);
    assertThat(result.stdout()).isEqualTo("out bar\n" + sandbox.workDir() + "\n");
    assertThat(result.stderr()).isEqualTo("err\n");
    assertThat(result.succeeded()).isFalse();
    assertThatThrownBy(() -> result.orThrow("the script"))
        .isInstanceOf(ProcessFailedException.class)
        .hasMessageContaining("exited with 3: err");
  }

  @Test
  void aRunThatOutlivesItsTimeoutIsKilledAndSaysSo() {
    ProcessRunResult result =
        processes.run(ProcessRequest.of("sleep", "5").withTimeout(Duration.ofMillis(300))).join();

    assertThat(result.timedOut()).isTrue();
    assertThat(result.exitCode()).isNull();
  }

  @Test
  void aBackgroundProcessTakesInputAndItsLogsAreDecoded() {
    ProcessInfo cat =
        processes.start(ProcessRequest.of("cat").withCwd(sandbox.workDir()).asInteractive()).join();
    assertThat(cat.running()).isTrue();

    assertThat(processes.input(cat.id(), "hello stdin\n").join()).isEqualTo(12);
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> text(processes.logs(cat.id(), "stdout", 0).join()).equals("hello stdin\n"));
    assertThatThrownBy(() -> processes.delete(cat.id()).join())
        .hasCauseInstanceOf(ConflictException.class);

    ProcessInfo stopped = processes.stop(cat.id(), Duration.ofSeconds(2)).join();
    ProcessInfo exited = processes.awaitExit(cat.id(), Duration.ofSeconds(10)).join();
    assertThat(stopped.id()).isEqualTo(cat.id());
    assertThat(exited.exited()).isTrue();
    processes.delete(cat.id()).join();
    assertThatThrownBy(() -> processes.get(cat.id()).join())
        .hasCauseInstanceOf(NotFoundException.class);
  }

  @Test
  void aProcessThatIgnoresTermIsKilled() {
    ProcessInfo stubborn =
        processes.start(ProcessRequest.shell("trap '' TERM; exec sleep 60")).join();
    await().atMost(Duration.ofSeconds(5)).pollDelay(Duration.ofMillis(200)).until(() -> true);

    ProcessInfo afterTerm = processes.stop(stubborn.id(), Duration.ofMillis(300)).join();
    assertThat(afterTerm.running()).isTrue();
    processes.kill(stubborn.id(), Duration.ofSeconds(2)).join();
    assertThat(processes.awaitExit(stubborn.id(), Duration.ofSeconds(10)).join().exited()).isTrue();
    assertThat(processes.list().join()).anyMatch(p -> p.id().equals(stubborn.id()));
  }

  @Test
  void filesRoundTripRawBytesAndCanBeListedMovedAndDeleted() {
    String dir = sandbox.workDir() + "/fs-test";
    byte[] allBytes = new byte[256];
    for (int i = 0; i < 256; i++) {
      allBytes[i] = (byte) i;
    }
    assertThat(files.write(dir + "/a/b/bytes.bin", allBytes).join()).isEqualTo(256);
    assertThat(files.read(dir + "/a/b/bytes.bin").join()).isEqualTo(allBytes);

    FileEntry stat = files.stat(dir + "/a/b/bytes.bin").join();
    assertThat(stat.isFile()).isTrue();
    assertThat(stat.size()).isEqualTo(256);

    files.mkdir(dir + "/empty/sub").join();
    files.writeText(dir + "/note.txt", "first").join();
    files.writeText(dir + "/other.txt", "second").join();
    assertThatThrownBy(() -> files.move(dir + "/note.txt", dir + "/other.txt", false).join())
        .hasCauseInstanceOf(InvalidRequestException.class);
    files.move(dir + "/note.txt", dir + "/other.txt", true).join();
    assertThat(files.readText(dir + "/other.txt").join()).isEqualTo("first");

    assertThat(files.entries(dir).join().stream().map(FileEntry::name).collect(Collectors.toSet()))
        .containsExactlyInAnyOrder("a", "empty", "other.txt");
    assertThatThrownBy(() -> files.delete(dir + "/a", false).join())
        .hasMessageContaining("not empty");
    files.delete(dir + "/a", true).join();
    assertThatThrownBy(() -> files.stat(dir + "/a").join())
        .hasCauseInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("path not found");
  }

  @Test
  void aTarArchiveIsUnpackedIntoTheTargetDirectory() {
    String longName = "deep/" + "nested-directory-name/".repeat(6) + "File.java";
    byte[] tar =
        new TarArchive()
            .add("src/Main.java", "class Main {}\n")
            .add("README.md", "# seeded\n")
            .add(longName, "class File {}\n")
            .toBytes();

    List<String> paths = files.uploadTar(sandbox.workDir() + "/seed", tar).join();

    assertThat(paths).contains(sandbox.workDir() + "/seed/src/Main.java");
    assertThat(files.readText(sandbox.workDir() + "/seed/README.md").join())
        .isEqualTo("# seeded\n");
    assertThat(files.readText(sandbox.workDir() + "/seed/" + longName).join())
        .isEqualTo("class File {}\n");
  }

  @Test
  void relativePathsAreRefusedBeforeTheyReachTheServer() {
    assertThatThrownBy(() -> files.read("relative.txt"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static String text(List<ProcessLogEntry> entries) {
    return entries.stream().map(ProcessLogEntry::text).collect(Collectors.joining());
  }
}
