package dev.foundry.sandbox.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A git smart-HTTP server on 127.0.0.1 that demands Basic auth, serving bare repositories under a
 * root through {@code git http-backend} (CGI). It stands in for GitHub at the process boundary so a
 * clone can prove that credentials come from the store, and that a missing one fails at once.
 */
public final class GitHttpServer implements AutoCloseable {

  private final HttpServer server;
  private final Path root;
  private final String expectedAuth;
  private final AtomicInteger unauthorized = new AtomicInteger();

  public GitHttpServer(Path root, String username, String password) throws IOException {
    this.root = root;
    this.expectedAuth =
        "Basic "
            + Base64.getEncoder()
                .encodeToString((username + ":" + password).getBytes(StandardCharsets.UTF_8));
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/git/", this::handle);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
  }

  public String url(String repository) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/git/" + repository;
  }

  public String origin() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** How many requests came without (or with wrong) credentials. */
  public int unauthorizedRequests() {
    return unauthorized.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!expectedAuth.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
        unauthorized.incrementAndGet();
        exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"git\"");
        exchange.sendResponseHeaders(401, -1);
        return;
      }
      byte[] body = exchange.getRequestBody().readAllBytes();
      ProcessBuilder cgi = new ProcessBuilder("git", "http-backend");
      Map<String, String> env = cgi.environment();
      env.put("GIT_PROJECT_ROOT", root.toString());
      env.put("GIT_HTTP_EXPORT_ALL", "1");
      env.put("REQUEST_METHOD", exchange.getRequestMethod());
      env.put("PATH_INFO", exchange.getRequestURI().getPath().substring("/git".length()));
      env.put(
          "QUERY_STRING",
          exchange.getRequestURI().getRawQuery() == null
              ? ""
              : exchange.getRequestURI().getRawQuery());
      env.put("CONTENT_LENGTH", Integer.toString(body.length));
      env.put("REMOTE_USER", "git-user");
      env.put("REMOTE_ADDR", "127.0.0.1");
      copyHeader(exchange, "Content-Type", "CONTENT_TYPE", env);
      copyHeader(exchange, "Content-Encoding", "HTTP_CONTENT_ENCODING", env);
      copyHeader(exchange, "Git-Protocol", "GIT_PROTOCOL", env);
      Process process = cgi.redirectError(ProcessBuilder.Redirect.DISCARD).start();
      try (OutputStream in = process.getOutputStream()) {
        in.write(body);
      }
      respond(exchange, process.getInputStream());
      process.waitFor();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void copyHeader(
      HttpExchange exchange, String header, String variable, Map<String, String> env) {
    String value = exchange.getRequestHeaders().getFirst(header);
    if (value != null) {
      env.put(variable, value);
    }
  }

  /** CGI output: headers (with an optional Status:), a blank line, the body. */
  private static void respond(HttpExchange exchange, InputStream cgiOut) throws IOException {
    byte[] all = cgiOut.readAllBytes();
    int split = indexOf(all, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    int skip = 4;
    if (split < 0) {
      split = indexOf(all, "\n\n".getBytes(StandardCharsets.US_ASCII));
      skip = 2;
    }
    String headers = new String(all, 0, Math.max(split, 0), StandardCharsets.US_ASCII);
    int status = 200;
    for (String line : headers.split("\r?\n")) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String name = line.substring(0, colon).trim();
      String value = line.substring(colon + 1).trim();
      if (name.equalsIgnoreCase("Status")) {
        status = Integer.parseInt(value.split(" ")[0]);
      } else {
        exchange.getResponseHeaders().add(name, value);
      }
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write(all, split + skip, all.length - split - skip);
    exchange.sendResponseHeaders(status, body.size() == 0 ? -1 : body.size());
    if (body.size() > 0) {
      exchange.getResponseBody().write(body.toByteArray());
    }
  }

  private static int indexOf(byte[] data, byte[] pattern) {
    outer:
    for (int i = 0; i <= data.length - pattern.length; i++) {
      for (int j = 0; j < pattern.length; j++) {
        if (data[i + j] != pattern[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Override
  public void close() {
    server.stop(0);
    ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
  }
}
