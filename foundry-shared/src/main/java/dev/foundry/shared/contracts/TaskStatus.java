package dev.foundry.shared.contracts;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** A task's lifecycle status ({@code TaskStatusSchema}); on the wire in snake_case. */
public enum TaskStatus {
  INIT_BOOTSTRAP_DB,
  INIT_ENQUEUE_PROVISION,
  INIT_COMPLETE,
  RUNNING,
  IDLE,
  ARCHIVE_STOP_STATUS_SYNC,
  ARCHIVE_RELEASE_SANDBOX,
  ARCHIVE_FINALIZE,
  ARCHIVED,
  KILL_DESTROY_SANDBOX,
  KILL_FINALIZE,
  KILLED,
  ERROR;

  @JsonValue
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static TaskStatus fromWire(String value) {
    return valueOf(value.toUpperCase(Locale.ROOT));
  }

  /**
   * Still being set up ({@code init_*} before {@code init_complete}): shown as stored, never
   * derived from sessions.
   */
  public boolean initializing() {
    return this == INIT_BOOTSTRAP_DB || this == INIT_ENQUEUE_PROVISION;
  }

  /** Archived or killed: the task accepts no more work. */
  public boolean finished() {
    return this == ARCHIVED || this == KILLED;
  }
}
