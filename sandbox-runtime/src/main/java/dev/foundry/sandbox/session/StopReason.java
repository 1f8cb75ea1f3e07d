package dev.foundry.sandbox.session;

/** Why a turn ended (ACP {@code stopReason}). */
public enum StopReason {
  END_TURN("end_turn"),
  MAX_TOKENS("max_tokens"),
  MAX_TURN_REQUESTS("max_turn_requests"),
  REFUSAL("refusal"),
  CANCELLED("cancelled"),
  /** A value this client does not know; the raw text is in {@link TurnResult#rawStopReason()}. */
  OTHER("other");

  private final String wire;

  StopReason(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  public static StopReason fromWire(String value) {
    for (StopReason r : values()) {
      if (r.wire.equals(value)) {
        return r;
      }
    }
    return OTHER;
  }
}
