package dev.foundry.backend.organization;

import java.util.Locale;

/** How organization ids derive from GitHub logins (spec §2), and the reserved {@code app} id. */
public final class OrganizationIds {
  /** The app-shell instance; never a real organization. */
  public static final String APP = "app";

  private OrganizationIds() {}

  /** Lowercase, every run of characters outside {@code [a-z0-9]} becomes "-", trimmed of "-". */
  public static String slug(String login) {
    String s = login == null ? "" : login.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
    return s.replaceAll("^-+|-+$", "");
  }

  /** The organization of a user account: {@code personal-<slug(login)>}. */
  public static String personal(String login) {
    return "personal-" + slug(login);
  }

  /** The organization of a GitHub organization account: {@code <slug(login)>}. */
  public static String forGithubOrganization(String login) {
    return slug(login);
  }

  /** Upstream's {@code OrganizationId}: 1..64 of {@code [a-zA-Z0-9._-]}. */
  public static boolean valid(String id) {
    return id != null && id.matches("[a-zA-Z0-9._-]{1,64}");
  }
}
