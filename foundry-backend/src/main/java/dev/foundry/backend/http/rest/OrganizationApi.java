package dev.foundry.backend.http.rest;

import dev.foundry.backend.auditlog.AuditLog;
import dev.foundry.backend.http.ApiException;
import dev.foundry.backend.http.rest.RequestBodies.AddRepository;
import dev.foundry.backend.http.rest.RequestBodies.CreateTask;
import dev.foundry.backend.organization.OrganizationActor;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.task.TaskActor;
import dev.foundry.backend.task.TaskOwner;
import dev.foundry.backend.user.UserActor;
import dev.foundry.shared.contracts.AuditLogEvent;
import dev.foundry.shared.contracts.RepoRecord;
import dev.foundry.shared.workspace.OrganizationSummarySnapshot;
import dev.foundry.shared.workspace.WorkspaceTaskDetail;
import dev.foundry.shared.workspace.WorkspaceTaskSummary;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * {@code /v1/organizations/{org}} and what hangs off it directly: repositories, task creation and
 * listing, the audit log. The router has checked membership before any of these runs.
 */
final class OrganizationApi {
  private final DurableRuntime runtime;

  OrganizationApi(DurableRuntime runtime) {
    this.runtime = runtime;
  }

  private DurableRef<OrganizationActor.Command<?>> org(Call call) {
    return runtime.get(OrganizationActor.KIND, OrganizationActor.key(call.org()));
  }

  CompletionStage<OrganizationSummarySnapshot> summary(Call call) {
    return org(call).query(new OrganizationActor.GetOrganizationSummary());
  }

  CompletionStage<List<RepoRecord>> listRepos(Call call) {
    return org(call).query(new OrganizationActor.ListRepos());
  }

  CompletionStage<RepoRecord> getRepo(Call call) {
    String repoId = call.path("repoId");
    return org(call)
        .query(new OrganizationActor.GetRepository(repoId))
        .thenApply(
            repo -> {
              if (repo == null) {
                throw new ApiException(
                    StatusCodes.NOT_FOUND,
                    "repository_not_found",
                    "no repository " + ResourceAccess.abbreviate(repoId));
              }
              return repo;
            });
  }

  CompletionStage<RepoRecord> addRepo(Call call) {
    return org(call)
        .ask(new OrganizationActor.AddRepository(call.body(AddRepository.class).remoteUrl(), null));
  }

  /**
   * Creates the task (its owner is the caller) and answers it as the caller sees it. The task actor
   * opens the first session and sends {@code task} as its first prompt when it provisions its
   * sandbox (with the owner's default model).
   */
  CompletionStage<WorkspaceTaskDetail> createTask(Call call) {
    CreateTask body = call.body(CreateTask.class);
    String userId = call.userId();
    return runtime
        .get(UserActor.KIND, UserActor.key(userId))
        .queryIfExists(new UserActor.GetProfile())
        .thenCompose(
            profile -> {
              TaskOwner owner =
                  profile == null
                      ? new TaskOwner(userId, null, null, null)
                      : new TaskOwner(userId, profile.githubLogin(), profile.email(), null);
              return org(call)
                  .ask(
                      new OrganizationActor.CreateTask(
                          body.repoId(),
                          body.task(),
                          body.title(),
                          body.branchName(),
                          null,
                          null,
                          owner,
                          body.model()));
            })
        .thenCompose(
            record ->
                TaskActor.detailForUser(
                    runtime,
                    TaskActor.key(record.organizationId(), record.repoId(), record.taskId()),
                    userId));
  }

  CompletionStage<List<WorkspaceTaskSummary>> listTasks(Call call) {
    Optional<String> repoId = call.query("repoId");
    if (repoId.isPresent() && !ResourceAccess.validId(repoId.get())) {
      throw ApiErrors.badRequest("invalid_parameter", "repoId is 1-128 of [A-Za-z0-9._-]");
    }
    return org(call).query(new OrganizationActor.ListTasks(repoId.orElse(null)));
  }

  CompletionStage<List<AuditLogEvent>> auditLog(Call call) {
    Integer limit =
        call.query("limit").map(v -> parseLong("limit", v)).map(Long::intValue).orElse(null);
    if (limit != null && (limit < 1 || limit > AuditLog.MAX_LIMIT)) {
      throw ApiErrors.badRequest("invalid_parameter", "limit is 1-" + AuditLog.MAX_LIMIT);
    }
    Long before = call.query("before").map(v -> parseLong("before", v)).orElse(null);
    if (before != null && before < 1) {
      throw ApiErrors.badRequest("invalid_parameter", "before is an entry id (>= 1)");
    }
    String taskId = call.query("taskId").orElse(null);
    if (taskId != null && !ResourceAccess.validId(taskId)) {
      throw ApiErrors.badRequest("invalid_parameter", "taskId is 1-128 of [A-Za-z0-9._-]");
    }
    return runtime
        .get(AuditLog.KIND, AuditLog.key(call.org()))
        .queryIfExists(new AuditLog.ListEntries(null, taskId, null, null, limit, before))
        .thenApply(entries -> entries == null ? List.<AuditLogEvent>of() : entries);
  }

  private static long parseLong(String name, String value) {
    if (!value.matches("-?[0-9]{1,18}")) {
      throw ApiErrors.badRequest("invalid_parameter", name + " must be an integer");
    }
    return Long.parseLong(value);
  }
}
