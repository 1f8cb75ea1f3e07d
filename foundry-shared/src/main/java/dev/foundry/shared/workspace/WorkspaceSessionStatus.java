package dev.foundry.shared.workspace;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** A session's status as clients see it ({@code WorkspaceSessionStatus}). */
public enum WorkspaceSessionStatus {
  PENDING_PROVISION,
  PENDING_SESSION_CREATE,
  READY,
  RUNNING,
  IDLE,
  ERROR;

  @JsonValue
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  @JsonCreator
  public static WorkspaceSessionStatus fromWire(String value) {
    return valueOf(value.toUpperCase(Locale.ROOT));
  }
}
