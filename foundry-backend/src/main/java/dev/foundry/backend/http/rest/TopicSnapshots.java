package dev.foundry.backend.http.rest;

import dev.foundry.backend.http.ApiError;
import dev.foundry.backend.http.ApiException;
import dev.foundry.backend.http.auth.SignedInUser;
import dev.foundry.backend.http.realtime.TopicAccess;
import dev.foundry.backend.organization.AppSnapshots;
import dev.foundry.backend.organization.OrganizationIds;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.SandboxProtocol;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.task.TaskReads;
import dev.foundry.shared.sandbox.SandboxProcesses;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * The realtime topics' access check and first snapshot, with the same rules as the REST routes
 * ({@link ResourceAccess}); except that an organization the user is not a member of is a 404 here
 * (a subscription must not confirm that an id exists).
 *
 * <ul>
 *   <li>{@code app} (id ignored): the user's app snapshot;
 *   <li>{@code organization} {@code {org}}: the organization summary;
 *   <li>{@code task} {@code {org}/{taskId}}: the task detail as the user sees it;
 *   <li>{@code session} {@code {org}/{taskId}/{sessionId}}: the session detail;
 *   <li>{@code sandboxProcesses} {@code {org}/{taskId}}: the task's sandbox processes (none until
 *       the sandbox actor is wired into the app).
 * </ul>
 */
public final class TopicSnapshots implements TopicAccess {
  private final DurableRuntime runtime;
  private final ResourceAccess access;

  public TopicSnapshots(DurableRuntime runtime, ResourceAccess access) {
    this.runtime = runtime;
    this.access = access;
  }

  @Override
  public CompletionStage<Object> snapshot(SignedInUser user, String topic, String id) {
    try {
      return switch (topic == null ? "" : topic) {
        case "app" -> widen(app(user));
        case "organization" -> widen(organization(user, parts(id, 1)));
        case "task" -> widen(task(user, parts(id, 2)));
        case "session" -> widen(session(user, parts(id, 3)));
        case "sandboxProcesses" -> widen(sandboxProcesses(user, parts(id, 2)));
        default ->
            throw new ApiException(
                StatusCodes.BAD_REQUEST,
                "unknown_topic",
                "unknown topic; one of app, organization, task, session, sandboxProcesses");
      };
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletionStage<?> app(SignedInUser user) {
    return runtime
        .getOrCreate(OrganizationProtocol.TYPE, OrganizationProtocol.key(OrganizationIds.APP))
        .query(new OrganizationProtocol.FindSession(user.sessionId()))
        .thenCompose(
            session ->
                AppSnapshots.snapshotForUser(
                    runtime,
                    user.userId(),
                    session == null ? null : session.activeOrganizationId()));
  }

  private CompletionStage<?> organization(SignedInUser user, String[] id) {
    return access
        .requireMember(user.userId(), id[0], true)
        .thenCompose(
            org ->
                runtime
                    .get(OrganizationProtocol.TYPE, OrganizationProtocol.key(id[0]))
                    .query(new OrganizationProtocol.GetOrganizationSummary()));
  }

  private CompletionStage<?> task(SignedInUser user, String[] id) {
    return access
        .requireMember(user.userId(), id[0], true)
        .thenCompose(org -> access.resolveTask(id[0], id[1]))
        .thenCompose(task -> TaskReads.detailForUser(runtime, task.key(), user.userId()));
  }

  private CompletionStage<?> session(SignedInUser user, String[] id) {
    if (!ResourceAccess.validId(id[2])) {
      return CompletableFuture.failedFuture(notFound());
    }
    return access
        .requireMember(user.userId(), id[0], true)
        .thenCompose(org -> access.resolveTask(id[0], id[1]))
        .thenCompose(
            task -> TaskReads.sessionDetailForUser(runtime, task.key(), id[2], user.userId()));
  }

  private CompletionStage<?> sandboxProcesses(SignedInUser user, String[] id) {
    return access
        .requireMember(user.userId(), id[0], true)
        .thenCompose(org -> access.resolveTask(id[0], id[1]))
        .thenCompose(
            task ->
                runtime.runs(SandboxProtocol.TYPE)
                    ? runtime
                        .get(SandboxProtocol.TYPE, SandboxProtocol.key(id[0], id[1]))
                        .queryIfExists(new SandboxProtocol.GetProcesses())
                    : CompletableFuture.completedFuture(null))
        .thenApply(SandboxProcesses::new);
  }

  /** Any failure becomes the ApiException the realtime endpoint reports (same mapping as REST). */
  private static CompletionStage<Object> widen(CompletionStage<?> stage) {
    return stage.handle(
        (value, failure) -> {
          if (failure == null) {
            return value;
          }
          Throwable cause = ApiErrors.unwrap(failure);
          if (cause instanceof ApiException e) {
            throw e;
          }
          ApiError error = ApiErrors.of(cause);
          throw new ApiException(error.status(), error.code(), error.message());
        });
  }

  /** {@code id} split on "/" into exactly {@code n} non-empty parts, else a 404. */
  private static String[] parts(String id, int n) {
    String[] parts = id == null ? new String[0] : id.split("/", -1);
    if (parts.length != n) {
      throw notFound();
    }
    for (String p : parts) {
      if (p.isEmpty()) {
        throw notFound();
      }
    }
    return parts;
  }

  private static ApiException notFound() {
    return new ApiException(StatusCodes.NOT_FOUND, "not_found", "no such topic id");
  }
}
