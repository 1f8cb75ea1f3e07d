package dev.foundry.sandbox.fs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import dev.foundry.sandbox.client.SandboxAgentHttp;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** The file system API of one sandbox. Obtain it from {@code SandboxAgentClient.files()}. */
public final class SandboxFiles {

  private final SandboxAgentHttp http;

  public SandboxFiles(SandboxAgentHttp http) {
    this.http = http;
  }

  /**
   * The file's bytes. A missing file is an {@code InvalidRequestException} (the server says 400).
   */
  public CompletableFuture<byte[]> read(String path) {
    return http.send("read " + path, http.request(file(path)).GET().build())
        .thenApply(r -> r.body());
  }

  public CompletableFuture<String> readText(String path) {
    return read(path).thenApply(b -> new String(b, StandardCharsets.UTF_8));
  }

  /** Writes (replaces) a file, creating parent directories; returns the bytes written. */
  public CompletableFuture<Long> write(String path, byte[] content) {
    HttpRequest request =
        http.request(file(path))
            .header("Content-Type", "application/octet-stream")
            .PUT(HttpRequest.BodyPublishers.ofByteArray(content))
            .build();
    return http.sendForJson("write " + path, request)
        .thenApply(n -> n.path("bytesWritten").asLong());
  }

  public CompletableFuture<Long> writeText(String path, String content) {
    return write(path, content.getBytes(StandardCharsets.UTF_8));
  }

  public CompletableFuture<FileEntry> stat(String path) {
    return http.sendForJson(
        "stat " + path, http.request(withPath("/v1/fs/stat", path)).GET().build(), FileEntry.class);
  }

  public CompletableFuture<List<FileEntry>> entries(String directory) {
    return http.sendForJson(
            "list " + directory,
            http.request(withPath("/v1/fs/entries", directory)).GET().build(),
            FileEntry[].class)
        .thenApply(Arrays::asList);
  }

  /** {@code mkdir -p}. */
  public CompletableFuture<Void> mkdir(String path) {
    return http.send(
            "mkdir " + path,
            http.request(withPath("/v1/fs/mkdir", path))
                .POST(HttpRequest.BodyPublishers.noBody())
                .build())
        .thenAccept(r -> {});
  }

  /** Moves or renames; an existing destination is an error unless {@code overwrite}. */
  public CompletableFuture<Void> move(String from, String to, boolean overwrite) {
    HttpRequest request =
        http.request("/v1/fs/move")
            .header("Content-Type", "application/json")
            .POST(SandboxAgentHttp.jsonBody(Map.of("from", from, "to", to, "overwrite", overwrite)))
            .build();
    return http.send("move " + from + " to " + to, request).thenAccept(r -> {});
  }

  /** Deletes a file or directory; a non-empty directory needs {@code recursive}. */
  public CompletableFuture<Void> delete(String path, boolean recursive) {
    String uri =
        SandboxAgentHttp.path(
            "/v1/fs/entry",
            SandboxAgentHttp.query("path", path, "recursive", recursive ? "true" : null));
    return http.send("delete " + path, http.request(uri).DELETE().build()).thenAccept(r -> {});
  }

  /** Extracts a tar archive into {@code directory}; returns the paths written. */
  public CompletableFuture<List<String>> uploadTar(String directory, byte[] tar) {
    HttpRequest request =
        http.request(withPath("/v1/fs/upload-batch", directory))
            .timeout(http.requestTimeout().multipliedBy(4))
            .header("Content-Type", "application/x-tar")
            .POST(HttpRequest.BodyPublishers.ofByteArray(tar))
            .build();
    return http.sendForJson("upload tar to " + directory, request, UploadResult.class)
        .thenApply(UploadResult::paths);
  }

  private static String file(String path) {
    return withPath("/v1/fs/file", path);
  }

  private static String withPath(String endpoint, String path) {
    if (!path.startsWith("/")) {
      // The server would resolve it against its $HOME, which is never what a caller means.
      throw new IllegalArgumentException("sandbox paths must be absolute: " + path);
    }
    return SandboxAgentHttp.path(endpoint, SandboxAgentHttp.query("path", path));
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  private record UploadResult(List<String> paths, boolean truncated) {
    UploadResult {
      paths = paths == null ? List.of() : paths;
    }
  }
}
