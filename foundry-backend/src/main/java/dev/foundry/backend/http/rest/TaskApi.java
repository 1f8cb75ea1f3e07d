package dev.foundry.backend.http.rest;

import dev.foundry.backend.http.ApiException;
import dev.foundry.backend.http.rest.RequestBodies.ChangeOwner;
import dev.foundry.backend.http.rest.RequestBodies.CreateSession;
import dev.foundry.backend.http.rest.RequestBodies.RenameTask;
import dev.foundry.backend.http.rest.RequestBodies.RevertFile;
import dev.foundry.backend.http.rest.RequestBodies.SendMessage;
import dev.foundry.backend.http.rest.RequestBodies.UpdateSession;
import dev.foundry.backend.http.rest.ResourceAccess.TaskRef;
import dev.foundry.backend.http.rest.Responses.CommandAccepted;
import dev.foundry.backend.http.rest.Responses.MessageAccepted;
import dev.foundry.backend.http.rest.Responses.TurnStopped;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.protocol.TaskProtocol.TaskOwner;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.task.TaskReads;
import dev.foundry.shared.app.FoundryOrganizationMember;
import dev.foundry.shared.contracts.AttachResult;
import dev.foundry.shared.contracts.SwitchResult;
import dev.foundry.shared.contracts.TaskStatus;
import dev.foundry.shared.workspace.WorkspaceFileChange;
import dev.foundry.shared.workspace.WorkspaceSessionDetail;
import dev.foundry.shared.workspace.WorkspaceTaskDetail;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * {@code .../tasks/{taskId}} and its sessions. The router has resolved the task inside the path's
 * organization ({@link Call#task()}). Commands that upstream waits for answer their result;
 * fire-and-forget ones answer 202 {@link CommandAccepted} once durably queued, after a cheap check
 * that the task is still live so an archived task gets its 409 now, not over the WebSocket.
 */
final class TaskApi {
  private final DurableRuntime runtime;

  TaskApi(DurableRuntime runtime) {
    this.runtime = runtime;
  }

  private DurableRef<TaskProtocol.Command<?>> task(Call call) {
    return runtime.get(TaskProtocol.TYPE, call.task().key());
  }

  CompletionStage<WorkspaceTaskDetail> detail(Call call) {
    return TaskReads.detailForUser(runtime, call.task().key(), call.userId());
  }

  CompletionStage<WorkspaceTaskDetail> rename(Call call) {
    String title = call.body(RenameTask.class).title();
    if (title == null) {
      return detail(call);
    }
    return TaskReads.forUser(
        runtime, call.task().key(), call.userId(), task(call).ask(new TaskProtocol.Rename(title)));
  }

  CompletionStage<SwitchResult> switchTask(Call call) {
    return task(call).ask(new TaskProtocol.Switch());
  }

  CompletionStage<AttachResult> attach(Call call) {
    return task(call).ask(new TaskProtocol.Attach("api.attach", call.userId()));
  }

  /**
   * A lifecycle command upstream sends without waiting (archive, kill), made from the reason
   * ({@code api.<action>}) and the acting user, who the audit entry names.
   */
  Endpoint.Handler queued(
      BiFunction<String, String, TaskProtocol.Command<?>> command, String action) {
    return call ->
        requireLive(call)
            .thenCompose(
                live -> accepted(task(call).tell(command.apply("api." + action, call.userId()))));
  }

  /**
   * Push, sync or merge: waited, because a git failure (a rejected push, a conflict) must reach the
   * caller with git's words; answers the task with its refreshed changed files.
   */
  Endpoint.Handler gitWork(
      BiFunction<String, String, TaskProtocol.Command<Boolean>> command, String action) {
    return call ->
        task(call)
            .ask(command.apply("api." + action, call.userId()), TaskProtocol.GIT_TIMEOUT)
            .thenCompose(done -> detail(call));
  }

  CompletionStage<List<WorkspaceFileChange>> revertFile(Call call) {
    return task(call).ask(new TaskProtocol.RevertFile(call.body(RevertFile.class).path()));
  }

  /** Answers once the agent has started the turn; the turn's progress arrives over WebSocket. */
  CompletionStage<MessageAccepted> sendMessage(Call call) {
    SendMessage body = call.body(SendMessage.class);
    return task(call)
        .ask(
            new TaskProtocol.SendMessage(call.path("sessionId"), body.prompt(), call.userId()),
            TaskProtocol.GIT_TIMEOUT)
        .thenApply(MessageAccepted::new);
  }

  CompletionStage<TurnStopped> stopSession(Call call) {
    return task(call)
        .ask(new TaskProtocol.StopSession(call.path("sessionId")))
        .thenApply(TurnStopped::new);
  }

  /** The new owner must be an active member of the task's organization. */
  CompletionStage<CommandAccepted> changeOwner(Call call) {
    String userId = call.body(ChangeOwner.class).userId();
    FoundryOrganizationMember member =
        call.organization().members().stream()
            .filter(m -> m.id().equals(userId) && "active".equals(m.state()))
            .findFirst()
            .orElseThrow(
                () ->
                    ApiErrors.invalid(
                        "invalid_owner",
                        "the owner must be a member of organization " + call.org()));
    return runtime
        .get(UserProtocol.TYPE, UserProtocol.key(userId))
        .queryIfExists(new UserProtocol.GetProfile())
        .thenCompose(
            profile -> {
              TaskOwner owner = TaskOwner.of(userId, profile).withEmail(member.email());
              return requireLive(call)
                  .thenCompose(
                      live -> accepted(task(call).tell(new TaskProtocol.ChangeOwner(owner))));
            });
  }

  CompletionStage<WorkspaceSessionDetail> createSession(Call call) {
    String model = call.body(CreateSession.class).model();
    return task(call)
        .ask(new TaskProtocol.CreateSession(model, call.userId()))
        .thenCompose(sessionId -> sessionDetail(call, sessionId));
  }

  CompletionStage<WorkspaceSessionDetail> session(Call call) {
    return sessionDetail(call, call.path("sessionId"));
  }

  /** Applies the given fields in order (each a waited command), then answers the session. */
  CompletionStage<WorkspaceSessionDetail> updateSession(Call call) {
    UpdateSession body = call.body(UpdateSession.class);
    String sessionId = call.path("sessionId");
    String userId = call.userId();
    DurableRef<TaskProtocol.Command<?>> task = task(call);
    CompletionStage<?> step = sessionDetail(call, sessionId);
    if (body.title() != null) {
      step =
          step.thenCompose(x -> task.ask(new TaskProtocol.RenameSession(sessionId, body.title())));
    }
    if (body.model() != null) {
      step = step.thenCompose(x -> task.ask(new TaskProtocol.ChangeModel(sessionId, body.model())));
    }
    if (body.unread() != null) {
      step =
          step.thenCompose(
              x -> task.ask(new TaskProtocol.SetSessionUnread(sessionId, body.unread(), userId)));
    }
    if (body.draft() != null) {
      step =
          step.thenCompose(
              x ->
                  task.ask(
                      new TaskProtocol.UpdateDraft(
                          sessionId,
                          body.draft().text(),
                          body.draft().attachments() == null
                              ? List.of()
                              : body.draft().attachments(),
                          userId)));
    }
    return step.thenCompose(x -> sessionDetail(call, sessionId));
  }

  /** Closing is queued (upstream: no wait); an unknown session is a 404 now. */
  CompletionStage<CommandAccepted> closeSession(Call call) {
    String sessionId = call.path("sessionId");
    return requireLive(call)
        .thenCompose(live -> sessionDetail(call, sessionId))
        .thenCompose(
            session ->
                accepted(task(call).tell(new TaskProtocol.CloseSession(sessionId, call.userId()))));
  }

  private CompletionStage<WorkspaceSessionDetail> sessionDetail(Call call, String sessionId) {
    return TaskReads.sessionDetailForUser(runtime, call.task().key(), sessionId, call.userId());
  }

  /** 409 for an archived or killed task; the command itself checks again when it runs. */
  private CompletionStage<TaskRef> requireLive(Call call) {
    return task(call)
        .query(new TaskProtocol.GetRecord())
        .thenApply(
            record -> {
              if (record.status() == TaskStatus.ARCHIVED) {
                throw new ApiException(
                    StatusCodes.CONFLICT, "task_archived", "the task is archived");
              }
              if (record.status() == TaskStatus.KILLED) {
                throw new ApiException(StatusCodes.CONFLICT, "task_killed", "the task was killed");
              }
              return call.task();
            });
  }

  private static CompletionStage<CommandAccepted> accepted(CompletionStage<String> commandId) {
    return commandId.thenApply(CommandAccepted::new);
  }

  /**
   * {@code POST .../tasks/{taskId}/pull-request}: pushes the branch (the sandbox, with the owner's
   * token), opens the pull request on GitHub (title from the task, body its prompt) and shows it on
   * the task; later changes arrive by webhook. 409 for a branch without commits ({@code
   * no_changes}), a refused push (a protected branch: {@code branch_protected}), a token that may
   * not ({@code missing_permission}), or a repository not on GitHub ({@code not_github}).
   */
  CompletionStage<WorkspaceTaskDetail> publishPullRequest(Call call) {
    var github = dev.foundry.backend.github.GitHubDataSource.get(runtime.system());
    var task = task(call);
    return task.query(new TaskProtocol.GetRecord())
        .thenCompose(
            record -> {
              if (github.fullNameOf(record.repoRemote()) == null) {
                throw new ApiException(
                    StatusCodes.CONFLICT,
                    "not_github",
                    "the repository is not on GitHub: " + record.repoRemote());
              }
              return task.ask(
                      new TaskProtocol.Push("api.pull-request", call.userId()),
                      TaskProtocol.GIT_TIMEOUT)
                  .exceptionally(
                      failure -> {
                        String m = String.valueOf(ApiErrors.of(failure).message());
                        if (m.contains("protected branch") || m.contains("GH006")) {
                          throw new ApiException(StatusCodes.CONFLICT, "branch_protected", m);
                        }
                        throw failure instanceof java.util.concurrent.CompletionException c
                            ? c
                            : new java.util.concurrent.CompletionException(failure);
                      })
                  .thenCompose(
                      pushed ->
                          runtime
                              .get(
                                  dev.foundry.backend.protocol.OrganizationProtocol.TYPE,
                                  dev.foundry.backend.protocol.OrganizationProtocol.key(call.org()))
                              .query(
                                  new dev.foundry.backend.protocol.OrganizationProtocol
                                      .GetRepository(record.repoId())))
                  .thenCompose(
                      repo ->
                          github
                              .openPullRequest(
                                  call.org(),
                                  call.userId(),
                                  record.repoRemote(),
                                  record.branchName(),
                                  repo == null ? "main" : repo.defaultBranch(),
                                  record.title(),
                                  record.task() == null ? "" : record.task())
                              .exceptionally(
                                  failure -> {
                                    Throwable cause =
                                        failure.getCause() != null
                                                && failure
                                                    instanceof
                                                    java.util.concurrent.CompletionException
                                            ? failure.getCause()
                                            : failure;
                                    if (cause
                                        instanceof
                                        dev.foundry.backend.github.GitHubDataSource
                                                .PullRequestRefused
                                            r) {
                                      throw new ApiException(
                                          StatusCodes.CONFLICT, r.code(), r.getMessage());
                                    }
                                    throw new java.util.concurrent.CompletionException(cause);
                                  }))
                  .thenCompose(pr -> shown(call, record, pr));
            })
        .thenCompose(done -> detail(call));
  }

  /** The opened pull request on the task, and in the organization's GitHub cache. */
  private CompletionStage<Boolean> shown(
      Call call,
      dev.foundry.shared.contracts.TaskRecord record,
      com.fasterxml.jackson.databind.JsonNode pr) {
    var github = dev.foundry.backend.github.GitHubDataSource.get(runtime.system());
    String fullName = github.fullNameOf(record.repoRemote());
    var repository =
        new dev.foundry.backend.protocol.GithubDataProtocol.RepositoryInput(
            fullName, record.repoRemote(), false, "main");
    var input = dev.foundry.backend.github.GitHubPayloads.pullRequest(pr, repository);
    var summary =
        new dev.foundry.shared.workspace.WorkspacePullRequestSummary(
            input.number(),
            input.isDraft() ? "draft" : "ready",
            input.title(),
            input.isDraft() ? "DRAFT" : "OPEN",
            input.url(),
            input.headRefName(),
            input.baseRefName(),
            fullName,
            input.authorLogin(),
            input.isDraft(),
            input.updatedAtMs() == null ? System.currentTimeMillis() : input.updatedAtMs());
    runtime
        .getOrCreate(
            dev.foundry.backend.protocol.GithubDataProtocol.TYPE,
            dev.foundry.backend.protocol.GithubDataProtocol.key(call.org()))
        .tell(
            new dev.foundry.backend.protocol.GithubDataProtocol.HandlePullRequestWebhook(
                null, null, input));
    return task(call).ask(new TaskProtocol.SyncPullRequest(summary));
  }
}
