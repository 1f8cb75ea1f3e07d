package dev.foundry.shared.realtime;

/**
 * The names of the realtime topics and of the events they carry. An event that replaces a topic's
 * state carries exactly the topic's snapshot shape as its payload. Two large topics add increments:
 * {@code organization} sends one task's changes ({@code taskSummaryUpdated}: one element of the
 * snapshot's task list, and {@link TaskSummaryRemoved}), and {@code session} sends {@code
 * sessionUpdated} (the session without its transcript entries) and {@link TranscriptUpdated}.
 */
public final class RealtimeEvents {
  private RealtimeEvents() {}

  public static final String APP_TOPIC = "app";
  public static final String ORGANIZATION_TOPIC = "organization";
  public static final String TASK_TOPIC = "task";
  public static final String SESSION_TOPIC = "session";
  public static final String PROCESSES_TOPIC = "sandboxProcesses";
  public static final String USER_TOPIC = "user";

  /** {@code app}: payload {@code FoundryAppSnapshot}, for one user only. */
  public static final String APP_UPDATED = "appUpdated";

  /** {@code organization}: payload {@code OrganizationSummarySnapshot}. */
  public static final String ORGANIZATION_UPDATED = "organizationUpdated";

  /**
   * {@code organization}: payload {@code WorkspaceTaskSummary}, one task's full summary (exactly
   * one element of the snapshot's {@code taskSummaries}); it replaces that task's element, or adds
   * it.
   */
  public static final String TASK_SUMMARY_UPDATED = "taskSummaryUpdated";

  /** {@code organization}: payload {@link TaskSummaryRemoved}; that task leaves the list. */
  public static final String TASK_SUMMARY_REMOVED = "taskSummaryRemoved";

  /** {@code task}: payload {@code WorkspaceTaskDetail}, built without a user. */
  public static final String TASK_UPDATED = "taskUpdated";

  /** {@code session}: payload {@code WorkspaceSessionDetail} with an empty transcript. */
  public static final String SESSION_UPDATED = "sessionUpdated";

  /** {@code session}: payload {@link TranscriptUpdated}. */
  public static final String TRANSCRIPT_UPDATED = "transcriptUpdated";

  /** {@code sandboxProcesses}: payload {@code SandboxProcesses}. */
  public static final String PROCESSES_UPDATED = "processesUpdated";

  /** {@code user}: payload {@code UserInbox}, for that user only. */
  public static final String USER_FEED_UPDATED = "userFeedUpdated";
}
