package dev.foundry.backend.http.rest;

import dev.foundry.backend.http.ApiException;
import dev.foundry.backend.organization.OrganizationIds;
import dev.foundry.backend.organization.OrganizationViews;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.runtime.ActorKey;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.shared.app.FoundryOrganization;
import dev.foundry.shared.app.FoundryOrganizationMember;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * Who may see what: an organization is visible to its active members only, and a task id counts
 * only inside the organization that indexed it, so an id from another organization is a 404 like an
 * unknown one. Used by every REST route and by the realtime topics.
 */
public final class ResourceAccess {
  /** Task, session and repository ids as they appear in paths. */
  static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,128}");

  /** A task found in its organization's index: enough to address its actor. */
  public record TaskRef(String organizationId, String repoId, String taskId) {
    public ActorKey key() {
      return TaskProtocol.key(organizationId, repoId, taskId);
    }
  }

  private final DurableRuntime runtime;

  /** Memberships and the task index, kept current by the organizations: no ask per request. */
  private final OrganizationViews views;

  public ResourceAccess(DurableRuntime runtime) {
    this.runtime = runtime;
    this.views = OrganizationViews.get(runtime.system());
  }

  DurableRuntime runtime() {
    return runtime;
  }

  public static boolean validOrganizationId(String id) {
    return OrganizationIds.valid(id) && !OrganizationIds.APP.equals(id);
  }

  public static boolean validId(String id) {
    return id != null && ID.matcher(id).matches();
  }

  /**
   * The organization if {@code userId} is one of its active members. An unknown organization is a
   * 404; one that exists but is not theirs is a 403 ({@code not_a_member}), or a 404 too when
   * {@code hideExistence} (the realtime topics, which must not confirm ids).
   */
  public CompletionStage<FoundryOrganization> requireMember(
      String userId, String organizationId, boolean hideExistence) {
    if (!validOrganizationId(organizationId)) {
      return CompletableFuture.failedFuture(organizationNotFound(organizationId));
    }
    return views
        .organization(runtime, organizationId)
        .thenApply(
            org -> {
              if (org == null) {
                throw organizationNotFound(organizationId);
              }
              Optional<FoundryOrganizationMember> member =
                  org.members().stream()
                      .filter(m -> m.id().equals(userId) && "active".equals(m.state()))
                      .findFirst();
              if (member.isEmpty()) {
                if (hideExistence) {
                  throw organizationNotFound(organizationId);
                }
                throw new ApiException(
                    StatusCodes.FORBIDDEN,
                    "not_a_member",
                    "you are not a member of organization " + organizationId);
              }
              return org;
            });
  }

  /**
   * The task {@code taskId} of {@code organizationId} (whose membership the caller checked). A
   * virtual task (a pull request without an actor yet) gets its actor now, as upstream does when a
   * user opens one.
   */
  public CompletionStage<TaskRef> resolveTask(String organizationId, String taskId) {
    if (!validId(taskId)) {
      return CompletableFuture.failedFuture(taskNotFound(taskId));
    }
    return views
        .liveTask(runtime, organizationId, taskId)
        .thenCompose(
            live ->
                live != null
                    ? CompletableFuture.completedFuture(
                        new TaskRef(organizationId, live.repoId(), live.taskId()))
                    : resolveUncached(organizationId, taskId));
  }

  /** A task not in the view: unknown, or virtual (its actor is made now). */
  private CompletionStage<TaskRef> resolveUncached(String organizationId, String taskId) {
    var org = runtime.get(OrganizationProtocol.TYPE, OrganizationProtocol.key(organizationId));
    return org.queryIfExists(new OrganizationProtocol.GetTaskIndexEntry(taskId))
        .thenCompose(
            entry -> {
              if (entry == null) {
                throw taskNotFound(taskId);
              }
              TaskRef ref = new TaskRef(organizationId, entry.repoId(), entry.taskId());
              if (entry.actorCreated()) {
                return CompletableFuture.completedFuture(ref);
              }
              return org.ask(new OrganizationProtocol.MaterializeTask(taskId)).thenApply(r -> ref);
            });
  }

  static ApiException organizationNotFound(String organizationId) {
    return new ApiException(
        StatusCodes.NOT_FOUND,
        "organization_not_found",
        "no organization " + abbreviate(organizationId));
  }

  static ApiException taskNotFound(String taskId) {
    return new ApiException(
        StatusCodes.NOT_FOUND, "task_not_found", "no task " + abbreviate(taskId));
  }

  /** Ids are echoed in messages, but never at length. */
  static String abbreviate(String s) {
    if (s == null) {
      return "";
    }
    return s.length() <= 80 ? s : s.substring(0, 80) + "…";
  }
}
