package dev.foundry.sandbox.provider.local;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Removes a secret from a child process's command line as {@code /proc/<pid>/cmdline} shows it to
 * every local user. The kernel shows the bytes between the process's {@code arg_start} and {@code
 * arg_end} (fields 48 and 49 of {@code /proc/<pid>/stat}); writing over them through {@code
 * /proc/<pid>/mem} (allowed for a process's parent, same user) changes what is shown. The process
 * itself must have read its arguments before (the sandbox-agent server parses them once, at start).
 */
final class CommandLine {

  private CommandLine() {}

  /**
   * Overwrites every occurrence of {@code secret} in the argument area of {@code pid} with {@code
   * *}.
   *
   * @return true when {@code /proc/<pid>/cmdline} no longer contains the secret
   */
  static boolean blank(long pid, String secret) {
    byte[] needle = secret.getBytes(StandardCharsets.UTF_8);
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // fields[0] is field 3 (state) of proc(5); arg_start is field 48, arg_end field 49.
      long argStart = Long.parseLong(fields[48 - 3]);
      long argEnd = Long.parseLong(fields[49 - 3].trim());
      if (argStart <= 0 || argEnd <= argStart || argEnd - argStart > 1 << 20) {
        return !contains(pid, needle);
      }
      try (RandomAccessFile mem = new RandomAccessFile("/proc/" + pid + "/mem", "rw")) {
        byte[] args = new byte[(int) (argEnd - argStart)];
        mem.seek(argStart);
        mem.readFully(args);
        for (int at = indexOf(args, needle, 0); at >= 0; at = indexOf(args, needle, at + 1)) {
          byte[] stars = new byte[needle.length];
          Arrays.fill(stars, (byte) '*');
          mem.seek(argStart + at);
          mem.write(stars);
        }
      }
    } catch (IOException | RuntimeException e) {
      // No /proc, a process that is gone, or no permission: the check below tells.
    }
    return !contains(pid, needle);
  }

  /** Whether {@code /proc/<pid>/cmdline} contains the bytes (false when it cannot be read). */
  static boolean contains(long pid, byte[] needle) {
    try {
      return indexOf(Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline")), needle, 0) >= 0;
    } catch (IOException e) {
      return false;
    }
  }

  private static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = from; i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
