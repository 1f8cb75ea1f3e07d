package dev.foundry.backend.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.foundry.backend.Main;
import dev.foundry.backend.http.Browser;
import dev.foundry.backend.http.Browser.Answer;
import dev.foundry.backend.testing.ChildJvm;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acknowledged work is on the disk, not only in the operating system's cache. The server runs with
 * a test-only layer (powerloss.c, preloaded) that keeps a copy of every file as it was at its last
 * fsync: what a power loss would leave. After kill -9, that copy replaces the data directory, and
 * the server started on it still has every acknowledged write.
 */
class PowerLossTest {
  private static final Pattern LISTENING = Pattern.compile("listening on http://[^:]+:(\\d+)");

  @TempDir Path dir;

  @Test
  void everyAcknowledgedWriteSurvivesLosingWhatWasNotFsynced() throws Exception {
    Path library = compileLayer();
    Path data = Files.createDirectories(dir.resolve("data")).toRealPath();
    Path disk = Files.createDirectories(dir.resolve("disk")).toRealPath();
    Map<String, String> env = new HashMap<>();
    env.put("PORT", "0");
    env.put("FOUNDRY_DATA_DIR", data.toString());
    env.put("LD_PRELOAD", library.toString());
    env.put("POWERLOSS_ROOT", data.toString());
    env.put("POWERLOSS_SHADOW", disk.toString());

    String lastModel = null;
    List<String> repos = new ArrayList<>();
    try (ChildJvm server = ChildJvm.start(Main.class.getName(), List.of(), env, dir)) {
      Browser ada = new Browser(baseUrl(server));
      Answer signIn = ada.signIn("ada");
      assertThat(signIn.status()).as("%s\n%s", signIn, server.output()).isEqualTo(200);
      String org = signIn.json().path("activeOrganizationId").asText();
      for (int i = 0; i < 20; i++) {
        String model = "model-" + i;
        Answer set = ada.put("/v1/app/default-model", "{\"model\":\"" + model + "\"}");
        assertThat(set.status()).as("%s", set).isEqualTo(200);
        lastModel = model;
        if (i % 4 == 0) {
          String remote = "https://git.example.com/acme/repo-" + i + ".git";
          Answer repo =
              ada.post("/v1/organizations/" + org + "/repos", "{\"remoteUrl\":\"" + remote + "\"}");
          assertThat(repo.status()).as("%s", repo).isEqualTo(201);
          repos.add(repo.json().path("repoId").asText());
        }
      }
      server.kill();
    }
    // The power goes: what was not fsynced is gone.
    assertThat(differs(data, disk))
        .as("the page cache held something the disk did not (else this test shows nothing)")
        .isTrue();
    deleteRecursively(data);
    copyRecursively(disk, data);

    env.remove("LD_PRELOAD");
    try (ChildJvm server = ChildJvm.start(Main.class.getName(), List.of(), env, dir)) {
      Browser ada = new Browser(baseUrl(server));
      Answer signIn = ada.signIn("ada");
      assertThat(signIn.status()).as("%s\n%s", signIn, server.output()).isEqualTo(200);
      String org = signIn.json().path("activeOrganizationId").asText();
      Answer app = ada.get("/v1/app");
      assertThat(app.json().path("users").path(0).path("defaultModel").asText())
          .as("the last acknowledged default model\n%s\n%s", app, server.output())
          .isEqualTo(lastModel);
      Answer listed = ada.get("/v1/organizations/" + org + "/repos");
      assertThat(listed.status()).isEqualTo(200);
      List<String> ids = new ArrayList<>();
      listed.json().forEach(r -> ids.add(r.path("repoId").asText()));
      assertThat(ids).containsAll(repos);
    }
  }

  private static String baseUrl(ChildJvm server) throws InterruptedException {
    String line = server.awaitLine(l -> LISTENING.matcher(l).find(), Duration.ofSeconds(90));
    server.awaitLine(l -> l.contains("Foundry ready"), Duration.ofSeconds(60));
    Matcher m = LISTENING.matcher(line);
    assertThat(m.find()).isTrue();
    return "http://127.0.0.1:" + m.group(1);
  }

  /** Builds powerloss.c with the system's C compiler (.ci/run installs gcc when missing). */
  private Path compileLayer() throws Exception {
    Path source = dir.resolve("powerloss.c");
    try (InputStream in = getClass().getResourceAsStream("/powerloss/powerloss.c")) {
      assertThat(in).isNotNull();
      Files.copy(in, source);
    }
    Path library = dir.resolve("libpowerloss.so");
    Process gcc;
    try {
      gcc =
          new ProcessBuilder(
                  "gcc",
                  "-shared",
                  "-fPIC",
                  "-O2",
                  "-o",
                  library.toString(),
                  source.toString(),
                  "-ldl")
              .redirectErrorStream(true)
              .start();
    } catch (IOException e) {
      throw new AssertionError(
          "PowerLossTest needs gcc (Debian's gcc package; .ci/run installs it)", e);
    }
    String output = new String(gcc.getInputStream().readAllBytes());
    assertThat(gcc.waitFor()).as("gcc: %s", output).isZero();
    return library;
  }

  /** Whether some file of {@code live} is missing from {@code disk} or has other bytes there. */
  private static boolean differs(Path live, Path disk) throws IOException {
    try (Stream<Path> files = Files.walk(live)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        Path copy = disk.resolve(live.relativize(file).toString());
        if (!Files.exists(copy)
            || !Arrays.equals(Files.readAllBytes(file), Files.readAllBytes(copy))) {
          return true;
        }
      }
    }
    return false;
  }

  private static void copyRecursively(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      for (Path file : files.toList()) {
        Path target = to.resolve(from.relativize(file).toString());
        if (Files.isDirectory(file)) {
          Files.createDirectories(target);
        } else if (!file.getFileName().toString().endsWith(".powerloss-partial")) {
          Files.copy(file, target);
        }
      }
    }
  }

  private static void deleteRecursively(Path root) throws IOException {
    try (Stream<Path> files = Files.walk(root)) {
      for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(file);
      }
    }
  }
}
