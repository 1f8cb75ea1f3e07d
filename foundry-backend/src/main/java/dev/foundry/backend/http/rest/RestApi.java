package dev.foundry.backend.http.rest;

import static dev.foundry.backend.http.rest.Endpoint.delete;
import static dev.foundry.backend.http.rest.Endpoint.get;
import static dev.foundry.backend.http.rest.Endpoint.patch;
import static dev.foundry.backend.http.rest.Endpoint.post;
import static dev.foundry.backend.http.rest.Endpoint.put;

import dev.foundry.backend.config.FoundrySettings;
import dev.foundry.backend.github.GitHubMembershipSync;
import dev.foundry.backend.http.auth.CookieSessions;
import dev.foundry.backend.http.auth.GithubSignIn;
import dev.foundry.backend.http.rest.Responses.AuthSession;
import dev.foundry.backend.http.rest.Responses.CommandAccepted;
import dev.foundry.backend.http.rest.Responses.MessageAccepted;
import dev.foundry.backend.http.rest.Responses.ProcessOutput;
import dev.foundry.backend.http.rest.Responses.TurnStopped;
import dev.foundry.backend.protocol.GithubDataProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.TaskProtocol;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.user.ProviderCredentialStore;
import dev.foundry.sandbox.process.ProcessInfo;
import dev.foundry.shared.app.FoundryAppSnapshot;
import dev.foundry.shared.app.FoundryBillingState;
import dev.foundry.shared.contracts.AttachResult;
import dev.foundry.shared.contracts.AuditLogEvent;
import dev.foundry.shared.contracts.RepoRecord;
import dev.foundry.shared.contracts.SwitchResult;
import dev.foundry.shared.sandbox.SandboxView;
import dev.foundry.shared.workspace.OrganizationSummarySnapshot;
import dev.foundry.shared.workspace.WorkspaceFileChange;
import dev.foundry.shared.workspace.WorkspaceSessionDetail;
import dev.foundry.shared.workspace.WorkspaceTaskDetail;
import dev.foundry.shared.workspace.WorkspaceTaskSummary;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.stream.Stream;

/**
 * The REST API: every endpoint in one table, in API.md's order. {@link RestRoutes} serves it and
 * {@link OpenApiDocument} describes it ({@code GET /v1/openapi.json}); a route exists only by being
 * a row here. Paths with {@code {org}} are checked for membership and paths with {@code {taskId}}
 * resolve the task inside that organization before a handler runs (see {@link RestRoutes}).
 */
public final class RestApi {
  static final String ORG = "/v1/organizations/{org}";
  static final String TASK = ORG + "/tasks/{taskId}";
  static final String SESSION = TASK + "/sessions/{sessionId}";

  private final List<Endpoint> endpoints;
  private final String cookieName;

  public RestApi(
      FoundrySettings settings,
      DurableRuntime runtime,
      CookieSessions sessions,
      ProviderCredentialStore credentials) {
    this(settings, runtime, sessions, credentials, null, null);
  }

  /**
   * @param github the GitHub sign-in, null without {@code GITHUB_CLIENT_ID}
   * @param membership the GitHub membership sync, null without GitHub sign-in
   */
  public RestApi(
      FoundrySettings settings,
      DurableRuntime runtime,
      CookieSessions sessions,
      ProviderCredentialStore credentials,
      GithubSignIn github,
      GitHubMembershipSync membership) {
    this.cookieName = sessions.cookie().name();
    AuthApi auth = new AuthApi(runtime, sessions, github);
    AppApi app = new AppApi(runtime, credentials, membership);
    OrganizationApi orgs = new OrganizationApi(runtime);
    TaskApi tasks = new TaskApi(runtime);
    SandboxApi sandboxes = new SandboxApi(runtime);
    BillingApi billing = new BillingApi(settings, runtime, new ResourceAccess(runtime));
    GithubWebhookApi githubWebhooks = new GithubWebhookApi(settings, runtime);
    GithubApi githubData = new GithubApi(runtime);
    List<Endpoint> rows =
        List.of(
            get("/v1/openapi.json", "getOpenApiDocument", "This OpenAPI 3.1 document")
                .tag("process")
                .publicAccess()
                .returns(Map.class)
                .handle(call -> CompletableFuture.completedFuture(openApi())),
            // --- auth ---
            get("/v1/auth/session", "getAuthSession", "The signed-in user and active organization")
                .tag("auth")
                .returns(AuthSession.class)
                .handle(auth::session),
            post("/v1/auth/sign-out", "signOut", "End the session and clear its cookie")
                .tag("auth")
                .publicAccess()
                .status(204)
                .returns(Void.class)
                .handle(auth::signOut),
            get(
                    "/v1/auth/sign-in/github",
                    "signInWithGithub",
                    "Start GitHub sign-in: 302 to GitHub's authorize page (state cookie, PKCE)")
                .tag("auth")
                .publicAccess()
                .queryParameter(
                    "redirectTo", "string", "where to go once signed in; must stay under APP_URL")
                .status(302)
                .returns(Void.class)
                .handle(auth::signInWithGithub),
            get(
                    "/v1/auth/callback/github",
                    "githubSignInCallback",
                    "GitHub's OAuth callback: 302 into the app signed in, or to APP_URL/signin?error=")
                .tag("auth")
                .publicAccess()
                .queryParameter("code", "string", "the authorization code GitHub issued")
                .queryParameter("state", "string", "the state this server issued")
                .queryParameter("error", "string", "GitHub's error, e.g. access_denied")
                .queryParameter("error_description", "string", "GitHub's words for the error")
                .queryParameter("error_uri", "string", "GitHub's page about the error")
                .status(302)
                .returns(Void.class)
                .handle(auth::githubCallback),
            // --- app ---
            get("/v1/app", "getAppSnapshot", "The signed-in user's app snapshot")
                .tag("app")
                .returns(FoundryAppSnapshot.class)
                .handle(app::snapshot),
            post(
                    "/v1/app/active-organization",
                    "selectOrganization",
                    "Make one of the user's organizations the session's active one")
                .tag("app")
                .body(RequestBodies.SelectOrganization.class)
                .returns(FoundryAppSnapshot.class)
                .handle(app::selectOrganization),
            post(
                    "/v1/app/github/sync",
                    "syncGithubOrganizations",
                    "Re-read the user's GitHub organizations, roles and installations")
                .tag("app")
                .returns(FoundryAppSnapshot.class)
                .handle(app::syncGithub),
            put("/v1/app/default-model", "setDefaultModel", "Set the model new sessions default to")
                .tag("app")
                .body(RequestBodies.SetDefaultModel.class)
                .returns(FoundryAppSnapshot.class)
                .handle(app::setDefaultModel),
            put(
                    "/v1/app/provider-credentials/{provider}",
                    "upsertProviderCredential",
                    "Store the user's API key for an agent provider (anthropic or openai)")
                .tag("app")
                .body(RequestBodies.SetProviderApiKey.class)
                .returns(FoundryAppSnapshot.ProviderCredentials.class)
                .handle(app::upsertProviderCredential),
            delete(
                    "/v1/app/provider-credentials/{provider}",
                    "removeProviderCredential",
                    "Remove the user's API key for an agent provider")
                .tag("app")
                .returns(FoundryAppSnapshot.ProviderCredentials.class)
                .handle(app::removeProviderCredential),
            // --- organizations and repositories ---
            get(ORG, "getOrganizationSummary", "The organization: repositories, task summaries")
                .tag("organizations")
                .returns(OrganizationSummarySnapshot.class)
                .handle(orgs::summary),
            get(ORG + "/repos", "listRepos", "The organization's repository catalog")
                .tag("repositories")
                .returnsListOf(RepoRecord.class)
                .handle(orgs::listRepos),
            post(ORG + "/repos", "addRepo", "Add a repository by any clonable URL (also file://)")
                .tag("repositories")
                .idempotent()
                .status(201)
                .body(RequestBodies.AddRepository.class)
                .returns(RepoRecord.class)
                .handle(orgs::addRepo),
            get(
                    ORG + "/repos/{repoId}",
                    "getRepo",
                    "One repository: the catalog record, its open pull requests, its tasks by branch")
                .tag("repositories")
                .returns(Responses.RepositoryOverview.class)
                .handle(orgs::getRepo),
            // --- tasks ---
            post(ORG + "/tasks", "createTask", "Create a task (a branch) for a prompt")
                .tag("tasks")
                .idempotent()
                .status(201)
                .body(RequestBodies.CreateTask.class)
                .returns(WorkspaceTaskDetail.class)
                .handle(orgs::createTask),
            get(ORG + "/tasks", "listTasks", "Task summaries, newest first")
                .tag("tasks")
                .queryParameter("repoId", "string", "only the tasks of this repository")
                .returnsListOf(WorkspaceTaskSummary.class)
                .handle(orgs::listTasks),
            get(TASK, "getTask", "The task as the caller sees it: sessions, sandbox, git, owner")
                .tag("tasks")
                .returns(WorkspaceTaskDetail.class)
                .handle(tasks::detail),
            patch(TASK, "renameTask", "Rename the task")
                .tag("tasks")
                .body(RequestBodies.RenameTask.class)
                .returns(WorkspaceTaskDetail.class)
                .handle(tasks::rename),
            git(tasks, "push", "Push the task's branch to its remote", TaskProtocol.Push::new),
            git(
                tasks,
                "sync",
                "Rebase the task's branch onto the remote's default branch",
                TaskProtocol.Sync::new),
            git(
                tasks,
                "merge",
                "Sync, then push the branch to the remote's default branch",
                TaskProtocol.Merge::new),
            post(
                    TASK + "/files/revert",
                    "revertFile",
                    "Discard the work-tree changes of one file in the sandbox")
                .tag("tasks")
                .body(RequestBodies.RevertFile.class)
                .returnsListOf(WorkspaceFileChange.class)
                .handle(tasks::revertFile),
            queued(tasks, "archive", "Archive the task", TaskProtocol.Archive::new),
            queued(tasks, "kill", "Kill the task and destroy its sandbox", TaskProtocol.Kill::new),
            post(TASK + "/switch", "switchTask", "Where to open the task's sandbox")
                .tag("tasks")
                .returns(SwitchResult.class)
                .handle(tasks::switchTask),
            post(TASK + "/attach", "attachTask", "Attach to the task's sandbox and latest session")
                .tag("tasks")
                .returns(AttachResult.class)
                .handle(tasks::attach),
            put(TASK + "/owner", "changeTaskOwner", "Make another member the task's owner")
                .tag("tasks")
                .status(202)
                .body(RequestBodies.ChangeOwner.class)
                .returns(CommandAccepted.class)
                .handle(tasks::changeOwner),
            // --- sessions ---
            post(TASK + "/sessions", "createSession", "Open a new agent session on the task")
                .tag("sessions")
                .idempotent()
                .status(201)
                .body(RequestBodies.CreateSession.class)
                .returns(WorkspaceSessionDetail.class)
                .handle(tasks::createSession),
            get(SESSION, "getSession", "The session with its transcript and the caller's draft")
                .tag("sessions")
                .returns(WorkspaceSessionDetail.class)
                .handle(tasks::session),
            patch(
                    SESSION,
                    "updateSession",
                    "Change title, model, the caller's unread flag or draft")
                .tag("sessions")
                .body(RequestBodies.UpdateSession.class)
                .returns(WorkspaceSessionDetail.class)
                .handle(tasks::updateSession),
            delete(SESSION, "closeSession", "Close the session (not the task's last open one)")
                .tag("sessions")
                .status(202)
                .returns(CommandAccepted.class)
                .handle(tasks::closeSession),
            post(
                    SESSION + "/messages",
                    "sendMessage",
                    "Send a message; answers once the agent's turn started (progress over"
                        + " WebSocket)")
                .tag("sessions")
                .idempotent()
                .status(202)
                .body(RequestBodies.SendMessage.class)
                .returns(MessageAccepted.class)
                .handle(tasks::sendMessage),
            post(SESSION + "/stop", "stopSession", "Ask the agent to stop the running turn")
                .tag("sessions")
                .returns(TurnStopped.class)
                .handle(tasks::stopSession),
            // --- sandbox ---
            get(TASK + "/sandbox", "getSandbox", "The task's sandbox: state, repository, owner")
                .tag("sandbox")
                .returns(SandboxView.class)
                .handle(sandboxes::sandbox),
            get(TASK + "/sandbox/processes", "listProcesses", "The sandbox's processes, live")
                .tag("sandbox")
                .returnsListOf(ProcessInfo.class)
                .handle(sandboxes::processes),
            post(TASK + "/sandbox/processes", "startProcess", "Start a background process")
                .tag("sandbox")
                .idempotent()
                .status(201)
                .body(RequestBodies.StartProcess.class)
                .returns(ProcessInfo.class)
                .handle(sandboxes::startProcess),
            post(
                    TASK + "/sandbox/processes/{processId}/stop",
                    "stopProcess",
                    "Stop a process of the sandbox")
                .tag("sandbox")
                .returns(ProcessInfo.class)
                .handle(sandboxes::stopProcess),
            get(
                    TASK + "/sandbox/processes/{processId}/logs",
                    "getProcessLogs",
                    "A process's output so far")
                .tag("sandbox")
                .returnsListOf(ProcessOutput.class)
                .handle(sandboxes::processLogs),
            // --- billing ---
            post(
                    ORG + "/billing/checkout",
                    "startCheckout",
                    "Owner: a Stripe Checkout Session for the Team plan ({\"url\"})")
                .tag("billing")
                .returns(OrganizationProtocol.BillingUrl.class)
                .handle(billing::checkout),
            get(
                    BillingApi.CHECKOUT_COMPLETE,
                    "completeCheckout",
                    "Stripe's success redirect: applies the subscription, 302 to the billing page")
                .tag("billing")
                .status(302)
                .queryParameter("organizationId", "string", "the organization that checked out")
                .queryParameter("session_id", "string", "the Checkout Session's id")
                .returns(Void.class)
                .handle(billing::completeCheckout),
            post(
                    ORG + "/billing/portal",
                    "openBillingPortal",
                    "Owner: a Stripe billing portal session ({\"url\"})")
                .tag("billing")
                .returns(OrganizationProtocol.BillingUrl.class)
                .handle(billing::portal),
            post(
                    ORG + "/billing/cancel",
                    "cancelSubscription",
                    "Owner: end the subscription at the end of its period")
                .tag("billing")
                .returns(FoundryBillingState.class)
                .handle(billing::cancel),
            post(
                    ORG + "/billing/resume",
                    "resumeSubscription",
                    "Owner: undo a cancellation at period end")
                .tag("billing")
                .returns(FoundryBillingState.class)
                .handle(billing::resume),
            post("/v1/webhooks/stripe", "stripeWebhook", "Stripe's webhook (signed, raw body)")
                .tag("billing")
                .publicAccess()
                .body(RawBody.class)
                .returns(BillingApi.WebhookAck.class)
                .handle(billing::webhook),
            // --- github ---
            post(
                    TASK + "/pull-request",
                    "publishPullRequest",
                    "Push the task's branch and open its pull request on GitHub (409 no_changes,"
                        + " branch_protected, missing_permission, not_github)")
                .tag("github")
                .returns(WorkspaceTaskDetail.class)
                .handle(tasks::publishPullRequest),
            post(
                    ORG + "/github/sync",
                    "syncGithub",
                    "Start a full GitHub sync (repositories, members, pull requests), or join the"
                        + " one running (202 {\"started\",\"generation\"})")
                .tag("github")
                .status(202)
                .returns(GithubDataProtocol.SyncAccepted.class)
                .handle(githubData::sync),
            post(
                    "/v1/webhooks/github",
                    "githubWebhook",
                    "GitHub App webhook (X-Hub-Signature-256 over the raw body; 401 otherwise)")
                .tag("github")
                .publicAccess()
                .body(RawBody.class)
                .returns(GithubWebhookApi.WebhookAck.class)
                .handle(githubWebhooks::webhook),
            // --- audit ---
            get(ORG + "/audit-log", "listAuditLog", "Audit events, newest first")
                .tag("audit")
                .queryParameter("limit", "integer", "1-500, default 100")
                .queryParameter("before", "integer", "only entries older than this entry id")
                .queryParameter("taskId", "string", "only the entries of this task")
                .returnsListOf(AuditLogEvent.class)
                .handle(orgs::auditLog));
    // Dev sign-in exists only in dev mode: otherwise it is a route like any unknown one (404), and
    // the OpenAPI document does not list it.
    Endpoint devSignIn =
        post(
                "/v1/auth/dev/sign-in",
                "devSignIn",
                "Sign in a local user without GitHub (dev mode only; 404 otherwise)")
            .tag("auth")
            .publicAccess()
            .body(RequestBodies.DevSignIn.class)
            .returns(AuthSession.class)
            .handle(auth::devSignIn);
    List<Endpoint> all =
        settings.auth().devAuth()
            ? Stream.concat(rows.stream(), Stream.of(devSignIn)).toList()
            : rows;
    // The inspector's routes exist only with an admin token: without one they are plain 404s.
    this.endpoints =
        settings.http().adminEnabled()
            ? Stream.concat(
                    all.stream(),
                    new AdminApi(runtime, settings.http().adminToken()).endpoints().stream())
                .toList()
            : all;
  }

  private volatile Map<String, Object> openApi;

  /** Git work in the sandbox: waited, answering the task (git's own words on failure). */
  private static Endpoint git(
      TaskApi tasks,
      String action,
      String summary,
      BiFunction<String, String, TaskProtocol.Command<Boolean>> command) {
    return post(TASK + "/" + action, action + "Task", summary)
        .tag("tasks")
        .returns(WorkspaceTaskDetail.class)
        .handle(tasks.gitWork(command, action));
  }

  /** A fire-and-forget lifecycle command: 202 {@code {"commandId"}} once durably queued. */
  private static Endpoint queued(
      TaskApi tasks,
      String action,
      String summary,
      BiFunction<String, String, TaskProtocol.Command<?>> command) {
    return post(TASK + "/" + action, action + "Task", summary)
        .tag("tasks")
        .status(202)
        .returns(CommandAccepted.class)
        .handle(tasks.queued(command, action));
  }

  public List<Endpoint> endpoints() {
    return endpoints;
  }

  /** Built once from the table, on first request. */
  Map<String, Object> openApi() {
    Map<String, Object> doc = openApi;
    if (doc == null) {
      doc = OpenApiDocument.of(endpoints, cookieName);
      openApi = doc;
    }
    return doc;
  }
}
