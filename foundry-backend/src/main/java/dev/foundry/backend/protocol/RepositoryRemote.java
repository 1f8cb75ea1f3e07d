package dev.foundry.backend.protocol;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A repository's remote URL and what derives from it (upstream {@code services/repo.ts}): the
 * normalised URL, {@code repoId} = the first 16 hex characters of SHA-1 of it, and an "owner/repo"
 * label. GitHub URLs normalise to {@code https://github.com/<owner>/<repo>.git} ("owner/repo"
 * shorthand, "github.com/..." and {@code /tree/...} suffixes accepted); other URLs lose trailing
 * slashes, query and fragment. Any URL a sandbox can clone is accepted, including a local {@code
 * file://} bare repository.
 */
public record RepositoryRemote(String remoteUrl, String normalized, String repoId, String label) {
  private static final Pattern SHORTHAND = Pattern.compile("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+");
  private static final Pattern SCP = Pattern.compile("[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+:.+");
  private static final Pattern SCHEME = Pattern.compile("(?i)(https?|ssh|git|file)://.+");

  /**
   * @throws IllegalArgumentException when {@code remoteUrl} is not a cloneable remote
   */
  public static RepositoryRemote parse(String remoteUrl) {
    String trimmed = remoteUrl == null ? "" : remoteUrl.strip();
    if (trimmed.isEmpty() || trimmed.length() > 2048 || trimmed.chars().anyMatch(c -> c < 0x20)) {
      throw new IllegalArgumentException("a remote URL must be 1..2048 printable characters");
    }
    if (!SHORTHAND.matcher(trimmed.replaceAll("/+$", "")).matches()
        && !SCP.matcher(trimmed).matches()
        && !SCHEME.matcher(trimmed).matches()
        && !trimmed.matches("(?i)(www\\.)?github\\.com/.+")) {
      throw new IllegalArgumentException(
          "not a git remote (https://, ssh://, git://, file://, user@host:path or owner/repo): "
              + trimmed);
    }
    String normalized = normalize(trimmed);
    return new RepositoryRemote(trimmed, normalized, repoIdOf(normalized), labelOf(normalized));
  }

  static String normalize(String remoteUrl) {
    String value = remoteUrl.strip().replaceAll("/+$", "");
    if (SHORTHAND.matcher(value).matches()) {
      return "https://github.com/" + value + ".git";
    }
    if (value.matches("(?i)(www\\.)?github\\.com/.+")) {
      value = "https://" + value.replaceFirst("(?i)^www\\.", "");
    }
    if (value.matches("(?i)https?://.+")) {
      try {
        URI uri = new URI(value);
        String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
        host = host.replaceFirst("^www\\.", "");
        String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
        String path = uri.getRawPath() == null ? "" : uri.getRawPath();
        if (host.equals("github.com")) {
          String[] parts = path.replaceAll("^/+", "").split("/+");
          if (parts.length >= 2 && !parts[0].isEmpty()) {
            return scheme
                + "://github.com/"
                + parts[0]
                + "/"
                + parts[1].replaceAll("(?i)\\.git$", "")
                + ".git";
          }
        }
        String port = uri.getPort() == -1 ? "" : ":" + uri.getPort();
        String userInfo = uri.getRawUserInfo() == null ? "" : uri.getRawUserInfo() + "@";
        return (scheme + "://" + userInfo + host + port + path).replaceAll("/+$", "");
      } catch (URISyntaxException e) {
        return value;
      }
    }
    return value;
  }

  static String repoIdOf(String normalized) {
    try {
      byte[] sha1 =
          MessageDigest.getInstance("SHA-1").digest(normalized.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(sha1).substring(0, 16);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The last two path segments without ".git": "owner/repo" (or the last one alone). */
  static String labelOf(String normalized) {
    String path =
        normalized.replaceFirst("^[a-zA-Z]+://[^/]*", "").replaceFirst("^[^@/]+@[^:]+:", "");
    String[] parts = path.replaceAll("^/+|/+$", "").split("/+");
    String last = parts[parts.length - 1].replaceAll("(?i)\\.git$", "");
    return parts.length >= 2 ? parts[parts.length - 2] + "/" + last : last;
  }
}
