package dev.foundry.sandbox.fs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * A file system entry as {@code stat} and {@code entries} report it. {@code name} is absent from
 * {@code stat}; {@code modified} is the server's RFC 3339 timestamp, kept as text.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record FileEntry(String name, String path, String entryType, long size, String modified) {

  public boolean isDirectory() {
    return "directory".equals(entryType);
  }

  public boolean isFile() {
    return "file".equals(entryType);
  }
}
