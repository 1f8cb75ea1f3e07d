package dev.foundry.backend.organization;

import static dev.foundry.backend.organization.OrganizationActor.blank;
import static dev.foundry.backend.organization.OrganizationActor.now;

import dev.foundry.backend.organization.OrganizationEvents.Event;
import dev.foundry.backend.organization.OrganizationEvents.TaskIndexed;
import dev.foundry.backend.organization.OrganizationEvents.TaskMaterialized;
import dev.foundry.backend.organization.OrganizationEvents.TaskPullRequestRefreshed;
import dev.foundry.backend.organization.OrganizationEvents.TaskSummaryApplied;
import dev.foundry.backend.organization.OrganizationEvents.TaskSummaryRemoved;
import dev.foundry.backend.organization.OrganizationEvents.VirtualTaskAdded;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol.ApplyTaskSummaryUpdate;
import dev.foundry.backend.protocol.OrganizationProtocol.CreateTask;
import dev.foundry.backend.protocol.OrganizationProtocol.CreateTaskForRequest;
import dev.foundry.backend.protocol.OrganizationProtocol.MaterializeTask;
import dev.foundry.backend.protocol.OrganizationProtocol.PlaceTask;
import dev.foundry.backend.protocol.OrganizationProtocol.RefreshTaskSummariesForBranches;
import dev.foundry.backend.protocol.OrganizationProtocol.RefreshTaskSummaryForBranch;
import dev.foundry.backend.protocol.OrganizationProtocol.RemoveTaskSummary;
import dev.foundry.backend.protocol.OrganizationProtocol.TaskIndexEntry;
import dev.foundry.backend.protocol.OrganizationProtocol.TaskPlacement;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.protocol.TaskProtocol.TaskOwner;
import dev.foundry.backend.runtime.ActorKey;
import dev.foundry.backend.runtime.Decision;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.shared.contracts.RepoRecord;
import dev.foundry.shared.contracts.TaskRecord;
import dev.foundry.shared.contracts.TaskStatus;
import dev.foundry.shared.workspace.WorkspaceTaskSummary;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A real organization's task index and summary projection: creating and materializing task actors
 * (the only two paths that create one), the summaries tasks push up, and the bulk path that turns
 * branches with pull requests into virtual tasks. Its handlers run behind the actor's "initialized
 * organization" guard unless said otherwise.
 */
final class OrganizationTasks {
  static final int MAX_BRANCHES_PER_REFRESH = 500;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final DurableRuntime runtime;
  private final String organizationId;
  private final Supplier<String> commandId;

  OrganizationTasks(DurableRuntime runtime, String organizationId, Supplier<String> commandId) {
    this.runtime = runtime;
    this.organizationId = organizationId;
    this.commandId = commandId;
  }

  /**
   * The task id follows from the command (its id, which a re-decision after a crash keeps), so
   * deciding it again reaches the same task actor, whose {@code Initialize} is idempotent.
   */
  Decision<TaskRecord> createTask(CreateTask cmd, OrganizationTables tables) {
    return createTask(cmd, CreateTask.taskId(organizationId, commandId.get()), tables);
  }

  /** The task id follows from the client's request key: a retry answers the same task. */
  Decision<TaskRecord> createTaskForRequest(CreateTaskForRequest cmd, OrganizationTables tables) {
    if (blank(cmd.requestKey()) || cmd.create() == null) {
      return Decision.reject("invalid_task", "a request key and the task to create");
    }
    return createTask(
        cmd.create(), CreateTaskForRequest.taskId(organizationId, cmd.requestKey()), tables);
  }

  private Decision<TaskRecord> createTask(
      CreateTask cmd, String taskId, OrganizationTables tables) {
    TaskIndexEntry existing = tables.indexEntry(taskId);
    if (existing != null) {
      // Created already (a client retry): answer the task as it is, create nothing.
      return Decision.after(
          runtime
              .get(TaskProtocol.TYPE, TaskProtocol.key(organizationId, existing.repoId(), taskId))
              .query(new TaskProtocol.GetRecord()),
          Decision::reply);
    }
    Placed placed = decide(cmd, tables);
    if (placed.refusal() != null) {
      return placed.refusal().cast();
    }
    RepoRecord repo = placed.repo();
    TaskProtocol.Initialize init = placed.initialize();
    DurableRef<TaskProtocol.Command<?>> task =
        runtime.getOrCreate(
            TaskProtocol.TYPE, TaskProtocol.key(organizationId, repo.repoId(), taskId));
    // A re-decision after a crash may find the task initialized already: Initialize then answers
    // the existing record, whose branch (not the one decided now) is the one indexed.
    // The summary is the task's own (its first push carries the same one and then changes
    // nothing, see applyTaskSummaryUpdate): one shape, written once, listed as soon as we answer.
    CompletionStage<Created> created =
        task.ask(init)
            .thenCompose(
                record ->
                    task.query(new TaskProtocol.GetSummary())
                        .thenApply(summary -> new Created(record, summary)));
    return Decision.after(
        created,
        c ->
            Decision.<TaskRecord>persist(
                    new TaskIndexed(
                        taskId,
                        repo.repoId(),
                        c.record().branchName(),
                        c.record().createdAt(),
                        cmd.owner() == null ? null : cmd.owner().userId()),
                    new TaskSummaryApplied(c.summary()))
                .thenReply(c::record));
  }

  /**
   * {@link CreateTask} without waiting on the task: one fast-path write (the index entry and a
   * first summary, built from the same values the task starts with) and the task's {@code
   * Initialize} in the outbox, so the task is created even if the caller goes away or the process
   * stops. The caller sends the same {@code Initialize} and answers from the task. The task's own
   * first summary, pushed after it initializes, replaces this one (it is at least as recent).
   */
  Decision<TaskPlacement> placeTask(PlaceTask cmd, OrganizationTables tables) {
    if (cmd.create() == null || (cmd.requestKey() != null && blank(cmd.requestKey()))) {
      return Decision.reject("invalid_task", "the task to create, and a non-blank request key");
    }
    String taskId =
        cmd.requestKey() == null
            ? CreateTask.taskId(organizationId, commandId.get())
            : CreateTaskForRequest.taskId(organizationId, cmd.requestKey());
    TaskIndexEntry existing = tables.indexEntry(taskId);
    if (existing != null) {
      // Placed already (a client retry): nothing to create. The caller still gets the same
      // Initialize (it may arrive before the outbox's): the indexed branch and the title the
      // same request derives again.
      CreateTask c = cmd.create();
      RepoRecord repo = tables.repository(organizationId, existing.repoId());
      TaskProtocol.Initialize again =
          repo == null || !existing.actorCreated()
              ? null
              : new TaskProtocol.Initialize(
                  repo.remoteUrl(),
                  repo.label(),
                  existing.branchName(),
                  CreateFlow.deriveTitle(c.task(), c.explicitTitle()),
                  c.task(),
                  c.sandboxProviderId(),
                  c.owner(),
                  null,
                  c.model());
      return Decision.reply(new TaskPlacement(organizationId, existing.repoId(), taskId, again));
    }
    Placed placed = decide(cmd.create(), tables);
    if (placed.refusal() != null) {
      return placed.refusal().cast();
    }
    long at = now();
    TaskProtocol.Initialize decided = placed.initialize();
    // Created at the time listed here: the task's first summary then equals this one.
    TaskProtocol.Initialize init =
        new TaskProtocol.Initialize(
            decided.repoRemote(),
            decided.repoName(),
            decided.branchName(),
            decided.title(),
            decided.task(),
            decided.sandboxProviderId(),
            decided.owner(),
            null,
            decided.model(),
            at);
    String repoId = placed.repo().repoId();
    TaskOwner owner = init.owner();
    WorkspaceTaskSummary first =
        new WorkspaceTaskSummary(
            taskId,
            repoId,
            init.title(),
            TaskProtocol.newTaskStatus(runtime),
            blank(init.repoName()) ? init.repoRemote() : init.repoName(),
            at,
            init.branchName(),
            null,
            null,
            List.of(),
            owner == null ? null : owner.login(),
            owner == null ? null : owner.avatarUrl());
    DurableRef<TaskProtocol.Command<?>> task =
        runtime.getOrCreate(TaskProtocol.TYPE, TaskProtocol.key(organizationId, repoId, taskId));
    // The task's activation (its recovery reads the journal) runs while this write is on its way,
    // so the Initialize that follows the write finds the task ready. It creates nothing: a decision
    // that is never written leaves an idle actor that passivates.
    task.activate();
    return Decision.<TaskPlacement>persist(
            new TaskIndexed(
                taskId, repoId, init.branchName(), at, owner == null ? null : owner.userId()),
            new TaskSummaryApplied(first))
        .andTell(task, init)
        .thenReply(() -> new TaskPlacement(organizationId, repoId, taskId, init));
  }

  private record Created(TaskRecord record, WorkspaceTaskSummary summary) {}

  /** A new task's repository and {@code Initialize}, or why it cannot be created. */
  private record Placed(RepoRecord repo, TaskProtocol.Initialize initialize, Refusal refusal) {
    static Placed of(RepoRecord repo, TaskProtocol.Initialize initialize) {
      return new Placed(repo, initialize, null);
    }

    static Placed refused(String code, String message) {
      return new Placed(null, null, new Refusal(code, message));
    }
  }

  private record Refusal(String code, String message) {
    <R> Decision<R> cast() {
      return Decision.reject(code, message);
    }
  }

  /** Decides title and branch (upstream's create flow) for a new task of {@code cmd}. */
  private Placed decide(CreateTask cmd, OrganizationTables tables) {
    RepoRecord repo = tables.repository(organizationId, cmd.repoId());
    if (repo == null) {
      return Placed.refused("repository_not_found", "no repository " + cmd.repoId());
    }
    if (blank(cmd.task())) {
      return Placed.refused("invalid_task", "a task needs a non-blank prompt");
    }
    String title;
    String branch;
    Predicate<String> taken = name -> tables.branchTaken(cmd.repoId(), name);
    try {
      if (!blank(cmd.onBranch())) {
        branch = cmd.onBranch().strip();
        CreateFlow.requireValidBranch(branch);
        title = CreateFlow.deriveTitle(cmd.task(), cmd.explicitTitle());
        if (taken.test(branch)) {
          return Placed.refused("branch_in_use", "branch '" + branch + "' already has a task");
        }
      } else {
        CreateFlow.Decision d =
            CreateFlow.decide(
                cmd.task(), cmd.explicitTitle(), cmd.explicitBranchName(), taken, RANDOM);
        title = d.title();
        branch = d.branchName();
      }
    } catch (IllegalArgumentException e) {
      return Placed.refused("invalid_branch_name", e.getMessage());
    } catch (IllegalStateException e) {
      return Placed.refused("branch_in_use", e.getMessage());
    }
    return Placed.of(
        repo,
        new TaskProtocol.Initialize(
            repo.remoteUrl(),
            repo.label(),
            branch,
            title,
            cmd.task(),
            cmd.sandboxProviderId(),
            cmd.owner(),
            null,
            cmd.model()));
  }

  Decision<TaskRecord> materializeTask(MaterializeTask cmd, OrganizationTables tables) {
    TaskIndexEntry entry = tables.indexEntry(cmd.taskId());
    if (entry == null) {
      return Decision.reject("task_not_found", "no task " + cmd.taskId());
    }
    ActorKey taskKey = TaskProtocol.key(organizationId, entry.repoId(), entry.taskId());
    if (entry.actorCreated()) {
      return Decision.after(
          runtime.get(TaskProtocol.TYPE, taskKey).query(new TaskProtocol.GetRecord()),
          Decision::reply);
    }
    RepoRecord repo = tables.repository(organizationId, entry.repoId());
    WorkspaceTaskSummary summary = tables.taskSummary(entry.taskId());
    String title = entry.title() == null ? "Untitled" : entry.title();
    TaskProtocol.Initialize init =
        new TaskProtocol.Initialize(
            repo == null ? summary.repoName() : repo.remoteUrl(),
            summary.repoName(),
            entry.branchName(),
            title,
            title,
            null,
            null,
            summary.pullRequest(),
            null);
    return Decision.after(
        runtime.getOrCreate(TaskProtocol.TYPE, taskKey).ask(init),
        record ->
            Decision.<TaskRecord>persist(new TaskMaterialized(cmd.taskId(), now()))
                .thenReply(() -> record));
  }

  /**
   * The summaries that queued up at the organization, decided together (one journal write): of
   * several summaries of one task only the newest is applied (the last to arrive of equal age, as
   * one at a time would leave it); the others change nothing, as if they came after it.
   */
  List<Decision<Boolean>> applyTaskSummaryUpdates(
      List<ApplyTaskSummaryUpdate> cmds, OrganizationTables tables) {
    Map<String, Integer> newest = new HashMap<>();
    for (int i = 0; i < cmds.size(); i++) {
      WorkspaceTaskSummary s = cmds.get(i).taskSummary();
      if (s != null && !blank(s.id())) {
        Integer held = newest.get(s.id());
        if (held == null || s.updatedAtMs() >= cmds.get(held).taskSummary().updatedAtMs()) {
          newest.put(s.id(), i);
        }
      }
    }
    List<Decision<Boolean>> decisions = new ArrayList<>(cmds.size());
    for (int i = 0; i < cmds.size(); i++) {
      WorkspaceTaskSummary s = cmds.get(i).taskSummary();
      boolean superseded = s != null && !blank(s.id()) && newest.get(s.id()) != i;
      decisions.add(
          superseded && tables.indexEntry(s.id()) != null
              ? Decision.reply(false)
              : applyTaskSummaryUpdate(cmds.get(i), tables));
    }
    return decisions;
  }

  /** Behind the organization-only guard: the task index alone tells a stray summary. */
  Decision<Boolean> applyTaskSummaryUpdate(ApplyTaskSummaryUpdate cmd, OrganizationTables tables) {
    WorkspaceTaskSummary s = cmd.taskSummary();
    if (s == null || blank(s.id()) || tables.indexEntry(s.id()) == null) {
      // Only tasks this organization created push summaries; anything else is a stray.
      return Decision.reject("task_not_found", "no task " + (s == null ? null : s.id()));
    }
    WorkspaceTaskSummary held = tables.taskSummary(s.id());
    if (held != null && s.updatedAtMs() < held.updatedAtMs()) {
      // The outbox delivers at least once and in no order (a retry after "overloaded" can come
      // after a newer summary): an older summary must not replace a newer one.
      return Decision.reply(false);
    }
    if (s.equals(held)) {
      // A new task's first push repeats what createTask wrote, and a redelivery repeats itself.
      return Decision.reply(false);
    }
    return Decision.<Boolean>persist(new TaskSummaryApplied(s)).thenReply(() -> true);
  }

  Decision<Boolean> removeTaskSummary(RemoveTaskSummary cmd, OrganizationTables tables) {
    if (tables.taskSummary(cmd.taskId()) == null) {
      return Decision.reply(false);
    }
    return Decision.<Boolean>persist(new TaskSummaryRemoved(cmd.taskId())).thenReply(() -> true);
  }

  Decision<Boolean> refreshTaskSummaryForBranch(
      RefreshTaskSummaryForBranch cmd, OrganizationTables tables) {
    return refreshBranches(List.of(cmd), tables);
  }

  Decision<Boolean> refreshTaskSummariesForBranches(
      RefreshTaskSummariesForBranches cmd, OrganizationTables tables) {
    if (cmd.branches() == null || cmd.branches().size() > MAX_BRANCHES_PER_REFRESH) {
      return Decision.reject(
          "invalid_branch", "1.." + MAX_BRANCHES_PER_REFRESH + " branches per refresh");
    }
    return refreshBranches(cmd.branches(), tables);
  }

  /** The bulk path: virtual tasks for new branches with a PR, PR updates for known ones. */
  private Decision<Boolean> refreshBranches(
      List<RefreshTaskSummaryForBranch> branches, OrganizationTables tables) {
    for (RefreshTaskSummaryForBranch b : branches) {
      if (b == null || blank(b.repoId()) || blank(b.branchName())) {
        return Decision.reject("invalid_branch", "repoId and branchName are required");
      }
    }
    List<Event> events = new ArrayList<>();
    // Branches that got a virtual task earlier in this batch, by repo and branch.
    Map<String, String> created = new HashMap<>();
    for (RefreshTaskSummaryForBranch b : branches) {
      List<String> taskIds = new ArrayList<>(tables.taskIdsOnBranch(b.repoId(), b.branchName()));
      String earlier = created.get(b.repoId() + "\n" + b.branchName());
      if (earlier != null) {
        taskIds.add(earlier);
      }
      long at =
          b.pullRequest() != null && b.pullRequest().updatedAtMs() != null
              ? b.pullRequest().updatedAtMs()
              : now();
      if (taskIds.isEmpty()) {
        if (b.pullRequest() == null) {
          continue;
        }
        RepoRecord repo = tables.repository(organizationId, b.repoId());
        String repoName =
            !blank(b.repoName())
                ? b.repoName()
                : repo != null ? repo.label() : organizationId + "/" + b.repoId();
        String title = blank(b.pullRequest().title()) ? b.branchName() : b.pullRequest().title();
        String taskId = UUID.randomUUID().toString();
        created.put(b.repoId() + "\n" + b.branchName(), taskId);
        events.add(
            new VirtualTaskAdded(
                taskId, b.repoId(), b.branchName(), title, repoName, b.pullRequest(), at));
      } else {
        for (String taskId : taskIds) {
          events.add(new TaskPullRequestRefreshed(taskId, b.pullRequest(), at));
        }
      }
    }
    if (events.isEmpty()) {
      return Decision.reply(false);
    }
    return Decision.<Boolean>persist(events).thenReply(() -> true);
  }

  /**
   * A closed or merged pull request (spec §7.5): every live task on its branch shows it and is
   * archived with upstream's reason ({@code "PR closed"}, {@code "PR merged"}). A task with an
   * actor is told to archive itself (durably, with the events); a virtual task's summary is
   * archived here. A branch without a live task changes nothing: nothing is created.
   */
  Decision<Boolean> archiveTasksForPullRequest(
      OrganizationProtocol.ArchiveTasksForPullRequest cmd, OrganizationTables tables) {
    if (blank(cmd.repoId()) || blank(cmd.branchName()) || blank(cmd.reason())) {
      return Decision.reject("invalid_branch", "repoId, branchName and reason are required");
    }
    List<Event> events = new ArrayList<>();
    List<TaskIndexEntry> withActor = new ArrayList<>();
    long at = now();
    for (String taskId : tables.taskIdsOnBranch(cmd.repoId(), cmd.branchName())) {
      WorkspaceTaskSummary s = tables.taskSummary(taskId);
      TaskIndexEntry entry = tables.indexEntry(taskId);
      if (s == null || entry == null || s.status().finished()) {
        continue;
      }
      if (entry.actorCreated()) {
        events.add(new TaskPullRequestRefreshed(taskId, cmd.pullRequest(), at));
        withActor.add(entry);
      } else {
        events.add(
            new TaskSummaryApplied(
                new WorkspaceTaskSummary(
                    s.id(),
                    s.repoId(),
                    s.title(),
                    TaskStatus.ARCHIVED,
                    s.repoName(),
                    at,
                    s.branch(),
                    cmd.pullRequest() == null ? s.pullRequest() : cmd.pullRequest(),
                    s.activeSessionId(),
                    s.sessionsSummary(),
                    s.primaryUserLogin(),
                    s.primaryUserAvatarUrl())));
      }
    }
    if (events.isEmpty()) {
      return Decision.reply(false);
    }
    Decision<Boolean> d = Decision.persist(events);
    for (TaskIndexEntry entry : withActor) {
      d =
          d.andTell(
              runtime.get(
                  TaskProtocol.TYPE,
                  TaskProtocol.key(organizationId, entry.repoId(), entry.taskId())),
              new TaskProtocol.Archive(cmd.reason(), null));
    }
    return d.thenReply(() -> true);
  }
}
