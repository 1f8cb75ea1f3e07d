package dev.foundry.backend.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The HTTP benchmark's load from outside the server's JVM: {@link HttpBenchmark} starts this class
 * as a child process, so the client's CPU (request building, JSON answers, its JIT compiler and GC)
 * is not counted as the server's. Closed loops, each with one request in flight: unrecorded for
 * {@code --warmup} seconds, then recorded for {@code --seconds}; one JSON object on the last line
 * of stdout.
 *
 * <p>{@code --op get}: loop {@code i} reads {@code paths[i % n]}. {@code --op rename}: loop {@code
 * i} renames the task at {@code paths[i % n]} with {@code PATCH {"title"}}; the answer lists the
 * last title of each path, so the server side can wait for the organization summary to show them.
 */
public final class HttpLoadClient {
  private static final ObjectMapper JSON = new ObjectMapper();

  public static void main(String[] args) throws Exception {
    String base = null;
    String cookie = null;
    String op = "get";
    String prefix = "ext";
    int loops = 1;
    int warmup = 2;
    int seconds = 3;
    List<String> paths = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--base" -> base = args[++i];
        case "--cookie" -> cookie = args[++i];
        case "--op" -> op = args[++i];
        case "--title-prefix" -> prefix = args[++i];
        case "--loops" -> loops = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        case "--paths" -> paths.addAll(Arrays.asList(args[++i].split(",")));
        default -> throw new IllegalArgumentException("unknown option " + args[i]);
      }
    }
    HttpLoadClient client = new HttpLoadClient(base, cookie, op, prefix, paths);
    client.run(loops, warmup, null);
    // The server measures its CPU between these two lines.
    System.out.println("RECORDING");
    System.out.flush();
    long cpu0 = processCpu();
    List<long[]> latencies = new ArrayList<>();
    long t0 = System.nanoTime();
    long errors = client.run(loops, seconds, latencies);
    double elapsed = (System.nanoTime() - t0) / 1e9;
    long cpu = processCpu() - cpu0;
    System.out.println("RECORDED");
    System.out.flush();
    long[] sorted = latencies.stream().flatMapToLong(Arrays::stream).sorted().toArray();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("concurrency", loops);
    out.put("perSec", round(sorted.length / elapsed));
    out.put("p50Ms", round(pct(sorted, 0.50)));
    out.put("p99Ms", round(pct(sorted, 0.99)));
    out.put("ops", sorted.length);
    out.put("errors", errors);
    out.put("seconds", round(elapsed));
    out.put("clientProcessMsPerOp", round(cpu / 1e6 / Math.max(1, sorted.length)));
    List<String> last = new ArrayList<>();
    for (int i = 0; i < paths.size(); i++) {
      last.add(client.lastTitle.get(i));
    }
    out.put("lastTitles", last);
    System.out.println(JSON.writeValueAsString(out));
    System.exit(0);
  }

  private final String base;
  private final String cookie;
  private final String op;
  private final String prefix;
  private final List<String> paths;
  private final AtomicLong titles = new AtomicLong();
  private final AtomicReferenceArray<String> lastTitle;
  private final HttpClient http;

  private HttpLoadClient(String base, String cookie, String op, String prefix, List<String> paths) {
    this.base = base;
    this.cookie = cookie;
    this.op = op;
    this.prefix = prefix;
    this.paths = paths;
    this.lastTitle = new AtomicReferenceArray<>(paths.size());
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .executor(Executors.newFixedThreadPool(2))
            .connectTimeout(Duration.ofSeconds(30))
            .build();
  }

  private CompletableFuture<HttpResponse<Void>> send(int loop) {
    int p = loop % paths.size();
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(base + paths.get(p)))
            .timeout(Duration.ofSeconds(120))
            .header("Cookie", "foundry_session=" + cookie);
    if (op.equals("rename")) {
      String title = prefix + " " + titles.incrementAndGet();
      lastTitle.set(p, title);
      b.header("Content-Type", "application/json")
          .method("PATCH", HttpRequest.BodyPublishers.ofString("{\"title\":\"" + title + "\"}"));
    } else {
      b.GET();
    }
    return http.sendAsync(b.build(), HttpResponse.BodyHandlers.discarding());
  }

  /** {@code loops} closed loops for {@code seconds}; latencies per loop, errors counted. */
  private long run(int loops, int seconds, List<long[]> latencies) throws Exception {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    AtomicLong errors = new AtomicLong();
    List<CompletableFuture<long[]>> done = new ArrayList<>();
    for (int i = 0; i < loops; i++) {
      CompletableFuture<long[]> finished = new CompletableFuture<>();
      done.add(finished);
      loop(i, end, new long[256], 0, errors, finished);
    }
    for (CompletableFuture<long[]> f : done) {
      long[] samples = f.get(seconds + 120L, TimeUnit.SECONDS);
      if (latencies != null) {
        latencies.add(samples);
      }
    }
    return errors.get();
  }

  private void loop(
      int i,
      long end,
      long[] samples,
      int size,
      AtomicLong errors,
      CompletableFuture<long[]> done) {
    if (System.nanoTime() >= end) {
      done.complete(Arrays.copyOf(samples, size));
      return;
    }
    long t0 = System.nanoTime();
    send(i)
        .whenComplete(
            (r, failure) -> {
              long[] s = samples;
              int n = size;
              if (failure != null || r.statusCode() != 200) {
                if (errors.incrementAndGet() == 1) {
                  System.err.println(
                      "[bench http client] first error: "
                          + (failure != null ? failure : "status " + r.statusCode()));
                }
              } else {
                if (n == s.length) {
                  s = Arrays.copyOf(s, n * 2);
                }
                s[n++] = System.nanoTime() - t0;
              }
              loop(i, end, s, n, errors, done);
            });
  }

  private static long processCpu() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static double pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(p * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
  }

  private static double round(double v) {
    return Math.round(v * 100.0) / 100.0;
  }
}
