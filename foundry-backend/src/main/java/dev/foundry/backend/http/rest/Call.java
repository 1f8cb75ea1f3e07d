package dev.foundry.backend.http.rest;

import dev.foundry.backend.http.auth.CookieSessions;
import dev.foundry.backend.http.auth.SignedInUser;
import dev.foundry.shared.app.FoundryOrganization;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * One request as a handler sees it, already checked: the session (null on a public route), path
 * parameters that passed their format check, the organization's membership (when the path has
 * {@code {org}}), the task resolved inside that organization (when it has {@code {taskId}}), and
 * the strictly read body, and the request's {@code Idempotency-Key} (null without one, or on a
 * route that takes none).
 */
public record Call(
    CookieSessions.Session session,
    Map<String, String> path,
    Map<String, String> query,
    FoundryOrganization organization,
    ResourceAccess.TaskRef task,
    Object body,
    HttpRequest request,
    String idempotencyKey) {

  /** The signed-in user; only on routes that require one. */
  public SignedInUser user() {
    if (session == null) {
      throw new IllegalStateException("a public route has no user");
    }
    return session.user();
  }

  public String userId() {
    return user().userId();
  }

  public String path(String name) {
    String value = path.get(name);
    if (value == null) {
      throw new IllegalStateException("route has no path parameter " + name);
    }
    return value;
  }

  public String org() {
    return path("org");
  }

  public Optional<String> query(String name) {
    return Optional.ofNullable(query.get(name));
  }

  public <T> T body(Class<T> type) {
    return type.cast(body);
  }
}
