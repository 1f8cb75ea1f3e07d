package dev.foundry.backend.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The load from {@code wrk} (Debian's package {@code wrk}), a C client that costs a small fraction
 * of the CPU of a Java client per request: on a 2-core machine the server then has nearly both
 * cores, which {@code java.net.http} in the same or a child JVM does not leave it. One wrk thread
 * drives all connections; a Lua script picks each request's path in turn. The requests per second
 * and latency percentiles are read from {@code wrk --latency}'s report, and a level with any
 * non-2xx answer or socket error says so in its result.
 */
final class WrkLoad {
  private static final Path WRK = Path.of("/usr/bin/wrk");
  private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
  private static final Pattern TOTAL = Pattern.compile("(\\d+) requests in ([0-9.]+)(ms|s|m)");
  private static final Pattern PERCENTILE =
      Pattern.compile("^\\s+(50|90|99)(?:\\.000)?%\\s+([0-9.]+)(us|ms|s)\\s*$", Pattern.MULTILINE);
  private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses: (\\d+)");
  private static final Pattern SOCKET_ERRORS =
      Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

  private final String base;
  private final String cookie;
  private final Path dir;

  /**
   * The niceness wrk runs at ({@code --wrk-nice}; 0: the server's). Below 0 the client is scheduled
   * before the server's threads, as a client on another machine would be: on 2 shared cores a wrk
   * thread that waits for a core adds that wait to the latency it measures. Lowering it needs root;
   * without, {@code nice} says so and wrk runs at 0.
   */
  private final int nice;

  WrkLoad(String base, String cookie, Path dir, int nice) {
    this.base = base;
    this.cookie = cookie;
    this.dir = dir;
    this.nice = nice;
  }

  static boolean available() {
    return Files.isExecutable(WRK);
  }

  /** {@code GET} of each of {@code paths} in turn on {@code connections} connections. */
  Load get(List<String> paths, int connections) throws IOException {
    return load("get", "'GET', path, headers, nil", paths, connections);
  }

  /**
   * {@code PATCH {"title"}} of each of {@code paths} in turn on {@code connections} connections:
   * two connections may rename one task at once, and the second waits for the first ({@link
   * #renamePerPath} gives each task its own loop). Titles are {@code prefix N}.
   */
  Load rename(List<String> paths, String prefix, int connections) throws IOException {
    String body = "'{\"title\":\"" + prefix + " ' .. n .. '\"}'";
    return load("rename", "'PATCH', path, headers, " + body, paths, connections);
  }

  /**
   * {@code PATCH {"title"}} of each of {@code paths} by a closed loop of its own: one wrk thread
   * with one connection per path, so each task has exactly one rename in flight (as the in-JVM
   * client's loops per task). Titles are {@code prefix N}.
   */
  Load renamePerPath(List<String> paths, String prefix) throws IOException {
    String body = "'{\"title\":\"" + prefix + " ' .. n .. '\"}'";
    // setup() runs in the main Lua state once per thread and gives each thread its own path.
    String perThread =
        "local assigned = 0\n"
            + "function setup(thread)\n"
            + "  assigned = assigned + 1\n"
            + "  thread:set('own', paths[assigned])\n"
            + "end\n";
    return script(
        "rename-per-path",
        perThread,
        "own",
        "'PATCH', path, headers, " + body,
        paths,
        paths.size(),
        paths.size());
  }

  /** A script whose {@code request()} returns {@code wrk.format(format)} for the next path. */
  private Load load(String name, String format, List<String> paths, int connections)
      throws IOException {
    return script(name, "", "paths[(n % #paths) + 1]", format, paths, 1, connections);
  }

  /**
   * A script whose {@code request()} returns {@code wrk.format(format)} with {@code path} the value
   * of the Lua expression {@code pathOf}, run by {@code threads} threads over {@code connections}.
   */
  private Load script(
      String name,
      String prelude,
      String pathOf,
      String format,
      List<String> paths,
      int threads,
      int connections)
      throws IOException {
    StringBuilder lua = new StringBuilder("paths = {");
    for (String p : paths) {
      lua.append('"').append(p).append("\",");
    }
    lua.append("}\n")
        .append(prelude)
        .append("local headers = {['Content-Type'] = 'application/json',")
        .append(" ['Cookie'] = 'foundry_session=")
        .append(cookie)
        .append("'}\n")
        .append("local n = 0\n")
        .append("request = function()\n")
        .append("  n = n + 1\n")
        .append("  local path = ")
        .append(pathOf)
        .append("\n")
        .append("  return wrk.format(")
        .append(format)
        .append(")\n")
        .append("end\n");
    Path script = Files.writeString(dir.resolve(name + ".lua"), lua, StandardCharsets.UTF_8);
    List<String> niced = nice == 0 ? List.of() : List.of("nice", "-n", String.valueOf(nice));
    return new Load(
        Stream.concat(
                niced.stream(),
                Stream.of(
                    WRK.toString(),
                    "-t",
                    String.valueOf(threads),
                    "-c",
                    String.valueOf(connections),
                    "-s",
                    script.toString(),
                    "--timeout",
                    "30s",
                    "--latency"))
            .toList(),
        base);
  }

  /** One wrk command line without its duration; {@link #run} runs it for some seconds. */
  record Load(List<String> command, String url) {
    Map<String, Object> run(int seconds) throws IOException, InterruptedException {
      List<String> line = new ArrayList<>(command);
      line.addAll(List.of("-d", seconds + "s", url));
      Process wrk = new ProcessBuilder(line).redirectErrorStream(true).start();
      String report = new String(wrk.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!wrk.waitFor(seconds + 60L, TimeUnit.SECONDS) || wrk.exitValue() != 0) {
        throw new IllegalStateException("wrk failed: " + String.join(" ", line) + "\n" + report);
      }
      return parse(report);
    }
  }

  static Map<String, Object> parse(String report) {
    Map<String, Object> level = new LinkedHashMap<>();
    level.put("perSec", Double.parseDouble(find(RATE, report, 1)));
    Matcher p = PERCENTILE.matcher(report);
    while (p.find()) {
      level.put("p" + p.group(1) + "Ms", millis(p.group(2), p.group(3)));
    }
    Matcher total = TOTAL.matcher(report);
    if (total.find()) {
      level.put("ops", Long.parseLong(total.group(1)));
    }
    Matcher non2xx = NON_2XX.matcher(report);
    if (non2xx.find()) {
      level.put("non2xxAnswers", Long.parseLong(non2xx.group(1)));
    }
    Matcher errors = SOCKET_ERRORS.matcher(report);
    if (errors.find()) {
      long sum = 0;
      for (int g = 1; g <= 4; g++) {
        sum += Long.parseLong(errors.group(g));
      }
      level.put("socketErrors", sum);
    }
    return level;
  }

  private static String find(Pattern pattern, String text, int group) {
    Matcher m = pattern.matcher(text);
    if (!m.find()) {
      throw new IllegalStateException("wrk's report has no " + pattern + ":\n" + text);
    }
    return m.group(group);
  }

  private static double millis(String value, String unit) {
    double v = Double.parseDouble(value);
    double ms =
        switch (unit) {
          case "us" -> v / 1000;
          case "s" -> v * 1000;
          default -> v;
        };
    return Math.round(ms * 100) / 100.0;
  }
}
