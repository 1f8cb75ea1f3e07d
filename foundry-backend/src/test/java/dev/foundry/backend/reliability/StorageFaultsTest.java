package dev.foundry.backend.reliability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.foundry.backend.http.ApiServer;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.http.Browser.Answer;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data directory on a small file system of its own (a tmpfs, mounted as root, as CI runs):
 * filled up, then freed again.
 */
class StorageFaultsTest {
  @TempDir Path dir;
  private Path mounted;

  @AfterEach
  void unmount() throws Exception {
    if (mounted != null) {
      run("umount", "-l", mounted.toString());
    }
  }

  @Test
  void aFullDiskAnswers503WithTheReasonChangesNothingAndRecoversWithoutARestart() throws Exception {
    mounted = dir.resolve("small");
    Files.createDirectories(mounted);
    run("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mounted.toString());
    try (ApiServer server = ApiServer.start(mounted)) {
      Browser ada = server.browser();
      assertThat(ada.signIn("ada").status()).isEqualTo(200);
      assertThat(setModel(ada, "before-full").status()).isEqualTo(200);

      // Full: the write that meets it and every write after it answer 503 with the reason.
      Path filler = mounted.resolve("filler");
      fill(filler);
      Answer first = setModel(ada, "while-full");
      assertStorageRefused(first, "No space left on device");
      assertStorageRefused(setModel(ada, "while-full-again"), "No space left on device");
      Answer ready = ada.get("/v1/ready");
      assertThat(ready.status()).isEqualTo(503);
      assertThat(ready.json().path("error").path("message").asText())
          .contains("No space left on device");
      assertThat(model(ada)).as("reads still answer, and nothing changed").isEqualTo("before-full");

      // Space returns: the server takes writes again by itself.
      Files.delete(filler);
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(() -> assertThat(ada.get("/v1/ready").status()).isEqualTo(200));
      assertThat(setModel(ada, "after-full").status()).isEqualTo(200);
      assertThat(model(ada)).isEqualTo("after-full");

      assertThat(setModel(ada, "last").status()).isEqualTo(200);
    }
    // Nothing refused was written: a restart replays exactly the acknowledged writes.
    try (ApiServer again = ApiServer.start(mounted)) {
      Browser ada = again.browser();
      assertThat(ada.signIn("ada").status()).isEqualTo(200);
      assertThat(model(ada)).isEqualTo("last");
    }
    assertThat(journalText(mounted)).contains("after-full").doesNotContain("while-full");
    // A data directory that is read-only at start: the server says so and does not start.
    run("mount", "-o", "remount,ro", mounted.toString());
    assertThatThrownBy(() -> ApiServer.start(mounted).close())
        .hasMessageContaining("cannot prepare the journal database")
        .hasMessageContaining("is not writable");
  }

  /** The journal's bytes (database and write-ahead log) as text, to look for a payload. */
  private static String journalText(Path dataRoot) throws IOException {
    StringBuilder text = new StringBuilder();
    try (var files = Files.list(dataRoot.resolve("data/journal"))) {
      for (Path file : files.toList()) {
        text.append(
            new String(Files.readAllBytes(file), java.nio.charset.StandardCharsets.ISO_8859_1));
      }
    }
    return text.toString();
  }

  private static Answer setModel(Browser browser, String model) {
    return browser.put("/v1/app/default-model", "{\"model\":\"" + model + "\"}");
  }

  private static String model(Browser browser) {
    Answer app = browser.get("/v1/app");
    assertThat(app.status()).as("%s", app).isEqualTo(200);
    return app.json().path("users").path(0).path("defaultModel").asText();
  }

  private static void assertStorageRefused(Answer answer, String reason) {
    assertThat(answer.status()).as("%s", answer).isEqualTo(503);
    assertThat(answer.errorCode()).isEqualTo("storage_unavailable");
    assertThat(answer.json().path("error").path("message").asText())
        .contains(reason)
        .contains("nothing was changed");
    assertThat(answer.raw().headers().firstValue("retry-after")).hasValue("5");
  }

  /** Writes until the file system is full to the last block (large writes, then small ones). */
  private static void fill(Path file) throws IOException {
    try (OutputStream out = Files.newOutputStream(file)) {
      for (int size : new int[] {1 << 20, 4096, 1}) {
        byte[] block = new byte[size];
        try {
          while (true) {
            out.write(block);
            out.flush();
          }
        } catch (IOException full) {
          // full at this block size: go on with a smaller one
        }
      }
    } catch (IOException closingAFullFile) {
      // the last flush on close fails too: the file system is full
    }
  }

  private static void run(String... command) throws Exception {
    Process p = new ProcessBuilder(List.of(command)).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor()).as("%s: %s", String.join(" ", command), output).isZero();
  }
}
