package dev.foundry.backend.http.rest;

import dev.foundry.backend.http.ApiException;
import dev.foundry.backend.http.rest.RequestBodies.AddRepository;
import dev.foundry.backend.http.rest.RequestBodies.CreateTask;
import dev.foundry.backend.protocol.AuditLogProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.protocol.TaskProtocol.TaskOwner;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.runtime.ActorKey;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.task.TaskReads;
import dev.foundry.shared.contracts.AuditLogEvent;
import dev.foundry.shared.contracts.RepoRecord;
import dev.foundry.shared.workspace.OrganizationSummarySnapshot;
import dev.foundry.shared.workspace.WorkspaceTaskDetail;
import dev.foundry.shared.workspace.WorkspaceTaskSummary;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
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

  private DurableRef<OrganizationProtocol.Command<?>> org(Call call) {
    return runtime.get(OrganizationProtocol.TYPE, OrganizationProtocol.key(call.org()));
  }

  CompletionStage<OrganizationSummarySnapshot> summary(Call call) {
    return org(call).query(new OrganizationProtocol.GetOrganizationSummary());
  }

  CompletionStage<List<RepoRecord>> listRepos(Call call) {
    return org(call).query(new OrganizationProtocol.ListRepos());
  }

  CompletionStage<Responses.RepositoryOverview> getRepo(Call call) {
    String repoId = call.path("repoId");
    return org(call)
        .query(new OrganizationProtocol.GetRepository(repoId))
        .thenCompose(
            repo -> {
              if (repo == null) {
                throw new ApiException(
                    StatusCodes.NOT_FOUND,
                    "repository_not_found",
                    "no repository " + ResourceAccess.abbreviate(repoId));
              }
              var prs =
                  runtime
                      .getOrCreate(
                          dev.foundry.backend.protocol.GithubDataProtocol.TYPE,
                          dev.foundry.backend.protocol.GithubDataProtocol.key(call.org()))
                      .query(
                          new dev.foundry.backend.protocol.GithubDataProtocol.ListOpenPullRequests(
                              repoId));
              var tasks = org(call).query(new OrganizationProtocol.ListTasks(repoId));
              return prs.thenCombine(tasks, (open, summaries) -> overview(repo, open, summaries));
            });
  }

  private static Responses.RepositoryOverview overview(
      RepoRecord repo,
      java.util.List<dev.foundry.backend.protocol.GithubDataProtocol.GithubPullRequest> open,
      java.util.List<dev.foundry.shared.workspace.WorkspaceTaskSummary> summaries) {
    java.util.List<dev.foundry.shared.workspace.WorkspaceOpenPullRequest> prs =
        new java.util.ArrayList<>();
    for (var p : open) {
      prs.add(
          new dev.foundry.shared.workspace.WorkspaceOpenPullRequest(
              p.prId(),
              p.repoId(),
              p.repoFullName(),
              p.number(),
              p.title(),
              p.isDraft() ? "draft" : "ready",
              p.state(),
              p.url(),
              p.headRefName(),
              p.baseRefName(),
              p.authorLogin(),
              p.isDraft(),
              p.updatedAtMs()));
    }
    java.util.Map<String, java.util.List<dev.foundry.shared.workspace.WorkspaceTaskSummary>>
        byBranch = new java.util.LinkedHashMap<>();
    for (var s : summaries) {
      if (s.branch() != null) {
        byBranch.computeIfAbsent(s.branch(), b -> new java.util.ArrayList<>()).add(s);
      }
    }
    java.util.List<Responses.BranchOverview> branches = new java.util.ArrayList<>();
    byBranch.forEach(
        (branch, tasks) ->
            branches.add(
                new Responses.BranchOverview(
                    branch,
                    tasks.stream()
                        .map(dev.foundry.shared.workspace.WorkspaceTaskSummary::pullRequest)
                        .filter(java.util.Objects::nonNull)
                        .findFirst()
                        .orElse(null),
                    java.util.List.copyOf(tasks))));
    return new Responses.RepositoryOverview(
        repo.organizationId(),
        repo.repoId(),
        repo.remoteUrl(),
        repo.label(),
        repo.defaultBranch(),
        repo.createdAt(),
        repo.updatedAt(),
        java.util.List.copyOf(prs),
        java.util.List.copyOf(branches));
  }

  CompletionStage<RepoRecord> addRepo(Call call) {
    return org(call)
        .ask(
            new OrganizationProtocol.AddRepository(
                call.body(AddRepository.class).remoteUrl(), null));
  }

  /**
   * Creates the task (its owner is the caller) and answers it as the caller sees it. The task actor
   * opens the first session and sends {@code task} as its first prompt when it provisions its
   * sandbox, with the model asked for or else the owner's default model: read here, with the owner,
   * so the profile is fetched once per creation.
   */
  CompletionStage<WorkspaceTaskDetail> createTask(Call call) {
    CreateTask body = call.body(CreateTask.class);
    String userId = call.userId();
    return runtime
        .get(UserProtocol.TYPE, UserProtocol.key(userId))
        .queryIfExists(new UserProtocol.GetProfile())
        .thenCompose(
            profile -> {
              TaskOwner owner = TaskOwner.of(userId, profile);
              String model =
                  body.model() != null || profile == null ? body.model() : profile.defaultModel();
              OrganizationProtocol.CreateTask create =
                  OrganizationProtocol.CreateTask.fromPrompt(
                      body.repoId(), body.task(), body.title(), body.branchName(), owner, model);
              // With an Idempotency-Key the task id follows from the user and the key: a retry
              // that runs again (after a restart, or a 504) reaches the same task.
              String requestKey =
                  call.idempotencyKey() == null
                      ? null
                      : IdempotencyKeys.requestKey(userId, call.idempotencyKey());
              // The organization decides and indexes in one write without waiting for the task;
              // the task is initialized here (and by the organization's outbox, whichever comes
              // first: Initialize is idempotent), so creations do not queue on the organization.
              return org(call)
                  .ask(new OrganizationProtocol.PlaceTask(create, requestKey))
                  .thenCompose(placement -> initialized(placement, userId));
            });
  }

  private CompletionStage<WorkspaceTaskDetail> initialized(
      OrganizationProtocol.TaskPlacement placement, String userId) {
    ActorKey key =
        TaskProtocol.key(placement.organizationId(), placement.repoId(), placement.taskId());
    CompletionStage<?> ready =
        placement.initialize() == null
            ? CompletableFuture.completedFuture(null)
            : runtime.getOrCreate(TaskProtocol.TYPE, key).ask(placement.initialize());
    return ready.thenCompose(record -> TaskReads.detailForUser(runtime, key, userId));
  }

  CompletionStage<List<WorkspaceTaskSummary>> listTasks(Call call) {
    Optional<String> repoId = call.query("repoId");
    if (repoId.isPresent() && !ResourceAccess.validId(repoId.get())) {
      throw ApiErrors.badRequest("invalid_parameter", "repoId is 1-128 of [A-Za-z0-9._-]");
    }
    return org(call).query(new OrganizationProtocol.ListTasks(repoId.orElse(null)));
  }

  CompletionStage<List<AuditLogEvent>> auditLog(Call call) {
    Integer limit =
        call.query("limit").map(v -> parseLong("limit", v)).map(Long::intValue).orElse(null);
    if (limit != null && (limit < 1 || limit > AuditLogProtocol.MAX_LIMIT)) {
      throw ApiErrors.badRequest("invalid_parameter", "limit is 1-" + AuditLogProtocol.MAX_LIMIT);
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
        .get(AuditLogProtocol.TYPE, AuditLogProtocol.key(call.org()))
        .queryIfExists(new AuditLogProtocol.ListEntries(null, taskId, null, null, limit, before))
        .thenApply(entries -> entries == null ? List.<AuditLogEvent>of() : entries);
  }

  private static long parseLong(String name, String value) {
    if (!value.matches("-?[0-9]{1,18}")) {
      throw ApiErrors.badRequest("invalid_parameter", name + " must be an integer");
    }
    return Long.parseLong(value);
  }
}
