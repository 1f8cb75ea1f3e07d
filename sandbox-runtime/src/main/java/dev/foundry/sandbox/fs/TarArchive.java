package dev.foundry.sandbox.fs;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds a POSIX ustar archive in memory for {@link SandboxFiles#uploadTar}: regular files only,
 * directories implied by the paths. Small on purpose; uploads here are workspace seeds, not images.
 */
public final class TarArchive {

  private static final int BLOCK = 512;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  /** Adds a file at a relative path (forward slashes, at most 255 bytes) with mode 0644. */
  public TarArchive add(String relativePath, byte[] content) {
    return add(relativePath, content, 0644);
  }

  public TarArchive add(String relativePath, byte[] content, int mode) {
    if (relativePath.startsWith("/") || relativePath.contains("..")) {
      throw new IllegalArgumentException(
          "tar entries must be relative and stay inside: " + relativePath);
    }
    byte[] header = new byte[BLOCK];
    byte[] name = relativePath.getBytes(StandardCharsets.UTF_8);
    if (name.length <= 100) {
      System.arraycopy(name, 0, header, 0, name.length);
    } else {
      // ustar splits long names at a '/' into prefix (155 bytes) and name (100 bytes).
      int split = relativePath.lastIndexOf('/', 155);
      byte[] prefix =
          relativePath.substring(0, Math.max(split, 0)).getBytes(StandardCharsets.UTF_8);
      byte[] rest = relativePath.substring(split + 1).getBytes(StandardCharsets.UTF_8);
      if (split <= 0 || prefix.length > 155 || rest.length > 100) {
        throw new IllegalArgumentException("path too long for ustar: " + relativePath);
      }
      System.arraycopy(rest, 0, header, 0, rest.length);
      System.arraycopy(prefix, 0, header, 345, prefix.length);
    }
    octal(header, 100, 8, mode);
    octal(header, 108, 8, 0);
    octal(header, 116, 8, 0);
    octal(header, 124, 12, content.length);
    octal(header, 136, 12, System.currentTimeMillis() / 1000);
    header[156] = '0';
    ascii(header, 257, "ustar");
    ascii(header, 263, "00");
    Arrays.fill(header, 148, 156, (byte) ' ');
    long checksum = 0;
    for (byte b : header) {
      checksum += b & 0xff;
    }
    octal(header, 148, 7, checksum);
    out.writeBytes(header);
    out.writeBytes(content);
    int pad = (BLOCK - content.length % BLOCK) % BLOCK;
    out.writeBytes(new byte[pad]);
    return this;
  }

  public TarArchive add(String relativePath, String utf8Content) {
    return add(relativePath, utf8Content.getBytes(StandardCharsets.UTF_8));
  }

  /** The archive with its two terminating zero blocks. */
  public byte[] toBytes() {
    ByteArrayOutputStream copy = new ByteArrayOutputStream(out.size() + 2 * BLOCK);
    copy.writeBytes(out.toByteArray());
    copy.writeBytes(new byte[2 * BLOCK]);
    return copy.toByteArray();
  }

  private static void octal(byte[] header, int offset, int length, long value) {
    String digits = Long.toOctalString(value);
    String padded = "0".repeat(Math.max(0, length - 1 - digits.length())) + digits;
    ascii(header, offset, padded);
    header[offset + length - 1] = 0;
  }

  private static void ascii(byte[] header, int offset, String text) {
    byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
    System.arraycopy(bytes, 0, header, offset, bytes.length);
  }
}
