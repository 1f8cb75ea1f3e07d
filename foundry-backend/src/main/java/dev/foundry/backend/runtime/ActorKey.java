package dev.foundry.backend.runtime;

import java.util.List;
import java.util.Objects;

/**
 * The key of an actor instance within its kind, as upstream keys actors: an ordered list of
 * segments such as {@code ["org", orgId, "task", repoId, taskId]}. Segments may hold any
 * characters; {@link #canonical()} escapes them so two different keys never print the same.
 */
public record ActorKey(List<String> segments) {
  public ActorKey {
    segments = List.copyOf(segments);
    if (segments.isEmpty()) {
      throw new IllegalArgumentException("an actor key has at least one segment");
    }
    for (String s : segments) {
      Objects.requireNonNull(s, "key segment");
    }
  }

  public static ActorKey of(String... segments) {
    return new ActorKey(List.of(segments));
  }

  /** Segments percent-escaped ({@code %} and {@code /}) and joined with {@code /}: injective. */
  public String canonical() {
    StringBuilder b = new StringBuilder();
    for (String s : segments) {
      if (b.length() > 0) {
        b.append('/');
      }
      b.append(s.replace("%", "%25").replace("/", "%2F"));
    }
    return b.toString();
  }

  /**
   * The key {@link #canonical()} printed: the inverse of it (an entity id of Cluster Sharding is
   * the canonical key).
   */
  public static ActorKey parse(String canonical) {
    List<String> segments = new java.util.ArrayList<>();
    for (String escaped : canonical.split("/", -1)) {
      StringBuilder b = new StringBuilder(escaped.length());
      for (int i = 0; i < escaped.length(); i++) {
        char c = escaped.charAt(i);
        if (c == '%' && escaped.startsWith("%25", i)) {
          b.append('%');
          i += 2;
        } else if (c == '%' && escaped.startsWith("%2F", i)) {
          b.append('/');
          i += 2;
        } else {
          b.append(c);
        }
      }
      segments.add(b.toString());
    }
    return new ActorKey(segments);
  }

  @Override
  public String toString() {
    return canonical();
  }
}
