package dev.foundry.backend.github;

/**
 * GitHub answered a request with an error, or could not be reached. The message names the request
 * and what GitHub said (its {@code message} field), never a token.
 */
public final class GitHubException extends RuntimeException {
  private final int status;

  public GitHubException(int status, String message) {
    super(message);
    this.status = status;
  }

  public GitHubException(String message, Throwable cause) {
    super(message, cause);
    this.status = 0;
  }

  /** The HTTP status GitHub answered; 0 when it could not be reached. */
  public int status() {
    return status;
  }

  /** GitHub refused the credential (expired, revoked): the user must sign in again. */
  public boolean unauthorized() {
    return status == 401;
  }
}
