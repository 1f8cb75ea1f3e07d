package dev.foundry.backend.github;

/**
 * GitHub answered a request with an error, or could not be reached. The message names the request
 * and what GitHub said (its {@code message} field), never a token.
 */
public final class GitHubException extends RuntimeException {
  private final int status;
  private final boolean rateLimited;

  public GitHubException(int status, String message) {
    this(status, message, false);
  }

  public GitHubException(int status, String message, boolean rateLimited) {
    super(message);
    this.status = status;
    this.rateLimited = rateLimited;
  }

  public GitHubException(String message, Throwable cause) {
    super(message, cause);
    this.status = 0;
    this.rateLimited = false;
  }

  /** GitHub's rate limit refused the request (and waiting for it was not allowed). */
  public boolean rateLimited() {
    return rateLimited;
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
