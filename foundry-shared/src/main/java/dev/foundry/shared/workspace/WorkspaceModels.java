package dev.foundry.shared.workspace;

/** Model ids shared by the backend and clients ({@code models.ts}). */
public final class WorkspaceModels {
  /** The model a new session uses when neither the caller nor the user's profile names one. */
  public static final String DEFAULT_MODEL_ID = "gpt-5.3-codex";

  private WorkspaceModels() {}

  /** The agent kind that runs {@code model}: Claude for claude-* models, Codex otherwise. */
  public static String agentForModel(String model) {
    return model != null && model.startsWith("claude") ? "Claude" : "Codex";
  }
}
