package dev.foundry.sandbox.provider.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The processes that belong to a sandbox server, read from {@code /proc}: everything in its session
 * or process group, plus its descendants (a pty child gets a session of its own but is still a
 * child). SIGTERM to the server alone would leave its agents and {@code /v1/processes} children
 * running (spec §2.3), so stopping a sandbox signals this whole set.
 *
 * <p>Zombies count as dead: they hold no resources but a table slot, and their parent reaps them.
 */
public final class ProcessTree {

  private static final Path PROC = Path.of("/proc");

  private ProcessTree() {}

  /** A process as {@code /proc/<pid>/stat} describes it. */
  public record ProcessStat(long pid, char state, long ppid, long pgid, long sid, long startTicks) {
    public boolean alive() {
      return state != 'Z' && state != 'X';
    }
  }

  public static boolean procAvailable() {
    return Files.isReadable(PROC.resolve("self/stat"));
  }

  public static Optional<ProcessStat> stat(long pid) {
    try {
      String s = Files.readString(PROC.resolve(pid + "/stat"));
      // The command name may contain spaces and parentheses; fields start after the last ')'.
      String[] f = s.substring(s.lastIndexOf(')') + 2).trim().split(" ");
      return Optional.of(
          new ProcessStat(
              pid,
              f[0].charAt(0),
              Long.parseLong(f[1]),
              Long.parseLong(f[2]),
              Long.parseLong(f[3]),
              Long.parseLong(f[19])));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }

  /** Alive and not a zombie; with /proc missing, whatever ProcessHandle says. */
  public static boolean isAlive(long pid) {
    if (!procAvailable()) {
      return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
    return stat(pid).map(ProcessStat::alive).orElse(false);
  }

  /** The kernel's start time of a process, to tell it from a later one that reused its pid. */
  public static Optional<Long> startTicks(long pid) {
    return stat(pid).map(ProcessStat::startTicks);
  }

  /**
   * Live processes in the session or process group led by {@code leader}, or descending from it.
   */
  public static List<ProcessStat> members(long leader) {
    return members(leader, true);
  }

  /**
   * As {@link #members(long)}; with {@code includeLeader} false the process now carrying the
   * leader's pid is not included (the leader died and its pid may belong to someone else).
   */
  public static List<ProcessStat> members(long leader, boolean includeLeader) {
    if (!procAvailable()) {
      List<ProcessStat> fallback = new ArrayList<>();
      ProcessHandle.of(leader)
          .ifPresent(
              h -> {
                fallback.add(new ProcessStat(leader, 'R', 0, leader, leader, 0));
                h.descendants()
                    .forEach(d -> fallback.add(new ProcessStat(d.pid(), 'R', 0, 0, 0, 0)));
              });
      return fallback;
    }
    Map<Long, ProcessStat> all = new HashMap<>();
    try (Stream<Path> entries = Files.list(PROC)) {
      entries
          .map(p -> p.getFileName().toString())
          .filter(n -> n.chars().allMatch(Character::isDigit))
          .map(Long::parseLong)
          .forEach(pid -> stat(pid).ifPresent(s -> all.put(pid, s)));
    } catch (IOException e) {
      return List.of();
    }
    Set<Long> selected = new LinkedHashSet<>();
    for (ProcessStat s : all.values()) {
      boolean isLeader = s.pid() == leader;
      if ((isLeader && includeLeader) || (!isLeader && (s.sid() == leader || s.pgid() == leader))) {
        selected.add(s.pid());
      }
    }
    Deque<Long> queue = new ArrayDeque<>(selected);
    while (!queue.isEmpty()) {
      long parent = queue.pop();
      for (ProcessStat s : all.values()) {
        if (s.ppid() == parent && selected.add(s.pid())) {
          queue.push(s.pid());
        }
      }
    }
    List<ProcessStat> result = new ArrayList<>();
    for (long pid : selected) {
      ProcessStat s = all.get(pid);
      if (s != null && s.alive()) {
        result.add(s);
      }
    }
    return result;
  }

  /**
   * SIGTERM to every member, wait up to {@code grace} for them to go, then SIGKILL what is left,
   * rescanning so that children forked meanwhile are caught too. Returns the pids signalled.
   */
  public static Set<Long> terminate(long leader, Duration grace) {
    return terminate(leader, grace, true);
  }

  /** As {@link #terminate(long, Duration)}; see {@link #members(long, boolean)}. */
  public static Set<Long> terminate(long leader, Duration grace, boolean includeLeader) {
    Set<Long> signalled = new LinkedHashSet<>();
    // Snapshot first: once the server is gone its children are reparented and only their
    // session/group still ties them to it.
    for (ProcessStat s : members(leader, includeLeader)) {
      signalled.add(s.pid());
      ProcessHandle.of(s.pid()).ifPresent(ProcessHandle::destroy);
    }
    long deadline = System.nanoTime() + grace.toNanos();
    while (System.nanoTime() < deadline && anyAlive(signalled)) {
      sleep(20);
    }
    for (int round = 0; round < 5; round++) {
      List<ProcessStat> left = new ArrayList<>(members(leader, includeLeader));
      for (long pid : signalled) {
        if (isAlive(pid)) {
          stat(pid).ifPresent(left::add);
        }
      }
      if (left.isEmpty()) {
        break;
      }
      for (ProcessStat s : left) {
        signalled.add(s.pid());
        ProcessHandle.of(s.pid()).ifPresent(ProcessHandle::destroyForcibly);
      }
      sleep(50);
    }
    return signalled;
  }

  private static boolean anyAlive(Set<Long> pids) {
    for (long pid : pids) {
      if (isAlive(pid)) {
        return true;
      }
    }
    return false;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
