package dev.foundry.sandbox.process;

import java.nio.charset.StandardCharsets;

/** One chunk of a process's output, already decoded from the wire's base64. */
public record ProcessLogEntry(long sequence, String stream, long timestampMs, byte[] data) {

  public String text() {
    return new String(data, StandardCharsets.UTF_8);
  }
}
