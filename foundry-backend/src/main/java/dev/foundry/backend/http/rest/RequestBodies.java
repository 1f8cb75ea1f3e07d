package dev.foundry.backend.http.rest;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.foundry.backend.http.rest.ApiJson.Validated;
import dev.foundry.shared.workspace.WorkspaceLineAttachment;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The request bodies of the REST API, one record each, read by {@link ApiJson#read}. Required
 * fields carry {@code @JsonProperty(required = true)} (a 400 when missing); {@link
 * Validated#validate()} refuses values that are well-formed but unusable (a 422). The OpenAPI
 * document derives its request schemas from these records.
 */
public final class RequestBodies {
  private RequestBodies() {}

  static final int MAX_TITLE = 200;
  static final int MAX_MODEL = 100;
  static final int MAX_PROMPT = 100_000;
  static final int MAX_URL = 2048;

  /** GitHub's login rules: letters, digits and single dashes, not at either end, 1..39. */
  static final Pattern LOGIN = Pattern.compile("[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}");

  static final Pattern MODEL = Pattern.compile("[A-Za-z0-9._:/@-]{1," + MAX_MODEL + "}");

  public record DevSignIn(@JsonProperty(required = true) String login) implements Validated {
    @Override
    public void validate() {
      if (!LOGIN.matcher(login).matches()) {
        throw ApiErrors.invalid(
            "invalid_login",
            "a login is 1-39 letters, digits or single dashes, not starting or ending with a"
                + " dash");
      }
    }
  }

  public record SelectOrganization(@JsonProperty(required = true) String organizationId)
      implements Validated {
    @Override
    public void validate() {
      if (!ResourceAccess.validOrganizationId(organizationId)) {
        throw ApiErrors.invalid(
            "invalid_organization_id", "an organization id is 1-64 of [A-Za-z0-9._-]");
      }
    }
  }

  /** An agent provider's API key; never echoed back. */
  public record SetProviderApiKey(@JsonProperty(required = true) String apiKey)
      implements Validated {
    @Override
    public void validate() {
      if (apiKey == null || apiKey.isBlank() || apiKey.length() > 4096) {
        throw ApiErrors.invalid("invalid_api_key", "apiKey must be 1-4096 characters");
      }
    }

    @Override
    public String toString() {
      return "SetProviderApiKey[<redacted>]";
    }
  }

  public record SetDefaultModel(@JsonProperty(required = true) String model) implements Validated {
    @Override
    public void validate() {
      requireModel(model);
    }
  }

  public record AddRepository(@JsonProperty(required = true) String remoteUrl)
      implements Validated {
    @Override
    public void validate() {
      if (remoteUrl.isBlank() || remoteUrl.length() > MAX_URL) {
        throw ApiErrors.invalid(
            "invalid_remote_url", "remoteUrl must be 1-" + MAX_URL + " characters");
      }
    }
  }

  /** A task and its first prompt; {@code model} (optional) is its first session's model. */
  public record CreateTask(
      @JsonProperty(required = true) String repoId,
      @JsonProperty(required = true) String task,
      String title,
      String branchName,
      String model)
      implements Validated {
    @Override
    public void validate() {
      if (model != null) {
        requireModel(model);
      }
      if (!ResourceAccess.validId(repoId)) {
        throw ApiErrors.invalid("invalid_repo_id", "repoId is 1-128 of [A-Za-z0-9._-]");
      }
      if (task.isBlank() || task.length() > MAX_PROMPT) {
        throw ApiErrors.invalid(
            "invalid_task", "task is the first prompt: 1-" + MAX_PROMPT + " characters");
      }
      if (title != null) {
        requireTitle(title);
      }
      if (branchName != null && (branchName.isBlank() || branchName.length() > 200)) {
        throw ApiErrors.invalid("invalid_branch_name", "branchName must be 1-200 characters");
      }
    }
  }

  public record RenameTask(String title) implements Validated {
    @Override
    public void validate() {
      if (title != null) {
        requireTitle(title);
      }
    }
  }

  public record ChangeOwner(@JsonProperty(required = true) String userId) implements Validated {
    @Override
    public void validate() {
      if (!ResourceAccess.validId(userId)) {
        throw ApiErrors.invalid("invalid_owner", "userId is 1-128 of [A-Za-z0-9._-]");
      }
    }
  }

  public record CreateSession(String model) implements Validated {
    @Override
    public void validate() {
      if (model != null) {
        requireModel(model);
      }
    }
  }

  /** The per-user composer draft of a session. */
  public record Draft(
      @JsonProperty(required = true) String text, List<WorkspaceLineAttachment> attachments)
      implements Validated {
    @Override
    public void validate() {
      if (text.length() > MAX_PROMPT) {
        throw ApiErrors.invalid("invalid_draft", "a draft is at most " + MAX_PROMPT + " chars");
      }
      if (attachments != null) {
        for (WorkspaceLineAttachment a : attachments) {
          if (a == null || a.filePath() == null || a.filePath().isBlank() || a.lineNumber() < 1) {
            throw ApiErrors.invalid(
                "invalid_draft", "an attachment needs a filePath and a lineNumber >= 1");
          }
        }
      }
    }
  }

  /** Every field optional; the given ones change, in this order: title, model, unread, draft. */
  public record UpdateSession(String title, String model, Boolean unread, Draft draft)
      implements Validated {
    @Override
    public void validate() {
      if (title != null) {
        requireTitle(title);
      }
      if (model != null) {
        requireModel(model);
      }
      if (draft != null) {
        draft.validate();
      }
    }
  }

  /** A message to a session's agent; attachments are lines of files the message points at. */
  public record SendMessage(
      @JsonProperty(required = true) String text, List<WorkspaceLineAttachment> attachments)
      implements Validated {
    @Override
    public void validate() {
      if (text.isBlank() || text.length() > MAX_PROMPT) {
        throw ApiErrors.invalid(
            "invalid_message", "a message is 1-" + MAX_PROMPT + " characters, not blank");
      }
      new Draft(text, attachments).validate();
    }

    /**
     * The prompt the agent gets (as upstream): the text, then each attachment as {@code @
     * path:line} and its content, separated by blank lines.
     */
    String prompt() {
      StringBuilder b = new StringBuilder(text.strip());
      if (attachments != null) {
        for (WorkspaceLineAttachment a : attachments) {
          b.append("\n\n@ ")
              .append(a.filePath())
              .append(':')
              .append(a.lineNumber())
              .append('\n')
              .append(a.lineContent() == null ? "" : a.lineContent());
        }
      }
      return b.toString();
    }
  }

  /** A background process in the task's sandbox; {@code cwd} defaults to the repository. */
  public record StartProcess(
      @JsonProperty(required = true) String command, List<String> args, String cwd)
      implements Validated {
    @Override
    public void validate() {
      if (command.isBlank() || command.length() > 4096) {
        throw ApiErrors.invalid("invalid_command", "a command is 1-4096 characters");
      }
      if (args != null && (args.size() > 256 || args.stream().anyMatch(a -> a == null))) {
        throw ApiErrors.invalid("invalid_command", "args are at most 256 strings");
      }
      if (cwd != null && !cwd.startsWith("/")) {
        throw ApiErrors.invalid("invalid_cwd", "cwd must be an absolute path");
      }
    }
  }

  /** A path inside the repository whose work-tree changes are discarded. */
  public record RevertFile(@JsonProperty(required = true) String path) implements Validated {
    @Override
    public void validate() {
      if (path.isBlank()
          || path.length() > 4096
          || path.startsWith("/")
          || path.startsWith("-")
          || path.contains("..")) {
        throw ApiErrors.invalid("invalid_path", "a relative path inside the repository");
      }
    }
  }

  static void requireTitle(String title) {
    if (title.isBlank() || title.length() > MAX_TITLE) {
      throw ApiErrors.invalid("invalid_title", "a title is 1-" + MAX_TITLE + " characters");
    }
  }

  static void requireModel(String model) {
    if (!MODEL.matcher(model).matches()) {
      throw ApiErrors.invalid(
          "invalid_model", "a model id is 1-" + MAX_MODEL + " of [A-Za-z0-9._:/@-]");
    }
  }
}
