package dev.foundry.backend.organization;

import static dev.foundry.backend.runtime.RuntimeFixture.await;

import dev.foundry.backend.auditlog.AuditLog;
import dev.foundry.backend.protocol.AuditLogProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.protocol.TaskProtocol.TaskOwner;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.runtime.ActorKind;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.runtime.RuntimeFixture;
import dev.foundry.backend.task.TaskActor;
import dev.foundry.backend.user.UserActor;
import dev.foundry.shared.app.FoundryOrganizationMember;
import dev.foundry.shared.contracts.AuditLogEvent;
import dev.foundry.shared.contracts.RepoRecord;
import dev.foundry.shared.contracts.TaskRecord;
import dev.foundry.shared.workspace.WorkspaceTaskSummary;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * The four product actors on a real runtime, with the steps most tests start from: a personal
 * organization, a repository added by a {@code file://} URL, a task created by a user.
 */
public final class ProductFixture implements AutoCloseable {
  public static final List<ActorKind<?, ?, ?>> KINDS =
      List.of(OrganizationActor.KIND, UserActor.KIND, TaskActor.KIND, AuditLog.KIND);

  private final RuntimeFixture runtime;

  public ProductFixture(Path dataDir) {
    this(dataDir, KINDS);
  }

  /** With more kinds than the four, e.g. sandboxes for the session flow. */
  public ProductFixture(Path dataDir, List<ActorKind<?, ?, ?>> kinds) {
    this.runtime = new RuntimeFixture(dataDir, kinds);
  }

  public RuntimeFixture fixture() {
    return runtime;
  }

  public DurableRuntime runtime() {
    return runtime.runtime();
  }

  public void restart() {
    runtime.restart();
  }

  @Override
  public void close() {
    runtime.close();
  }

  public DurableRef<OrganizationProtocol.Command<?>> org(String organizationId) {
    return runtime()
        .getOrCreate(OrganizationProtocol.TYPE, OrganizationProtocol.key(organizationId));
  }

  public DurableRef<OrganizationProtocol.Command<?>> app() {
    return org(OrganizationIds.APP);
  }

  public DurableRef<UserProtocol.Command<?>> user(String userId) {
    return runtime().getOrCreate(UserProtocol.TYPE, UserProtocol.key(userId));
  }

  public DurableRef<TaskProtocol.Command<?>> task(
      String organizationId, String repoId, String taskId) {
    return runtime().get(TaskProtocol.TYPE, TaskProtocol.key(organizationId, repoId, taskId));
  }

  public DurableRef<TaskProtocol.Command<?>> task(TaskRecord record) {
    return task(record.organizationId(), record.repoId(), record.taskId());
  }

  /** A fresh personal organization owned by a fresh user; answers its id. */
  public String newPersonalOrganization(String ownerId) {
    String login = "user-" + UUID.randomUUID().toString().substring(0, 8);
    String orgId = OrganizationIds.personal(login);
    await(
        org(orgId)
            .ask(
                new OrganizationProtocol.InitializeOrganization(
                    "personal",
                    login,
                    "Personal " + login,
                    new FoundryOrganizationMember(
                        ownerId, "Owner", "owner@example.com", "owner", "active"))));
    return orgId;
  }

  public RepoRecord addRepository(String organizationId, String remoteUrl) {
    return await(org(organizationId).ask(new OrganizationProtocol.AddRepository(remoteUrl, null)));
  }

  public TaskRecord createTask(
      String organizationId, String repoId, String prompt, TaskOwner owner, String model) {
    return await(
        org(organizationId)
            .ask(
                OrganizationProtocol.CreateTask.fromPrompt(
                    repoId, prompt, null, null, owner, model)));
  }

  public TaskRecord createTask(
      String organizationId, String repoId, String prompt, TaskOwner owner) {
    return await(
        org(organizationId)
            .ask(
                OrganizationProtocol.CreateTask.fromPrompt(
                    repoId, prompt, null, null, owner, null)));
  }

  public List<WorkspaceTaskSummary> tasks(String organizationId) {
    return await(org(organizationId).query(new OrganizationProtocol.ListTasks(null)));
  }

  public WorkspaceTaskSummary summary(String organizationId, String taskId) {
    return tasks(organizationId).stream()
        .filter(s -> s.id().equals(taskId))
        .findFirst()
        .orElse(null);
  }

  public List<AuditLogEvent> audit(String organizationId, String taskId) {
    return await(
        runtime()
            .getOrCreate(AuditLogProtocol.TYPE, AuditLogProtocol.key(organizationId))
            .query(AuditLogProtocol.ListEntries.ofTask(taskId)));
  }
}
