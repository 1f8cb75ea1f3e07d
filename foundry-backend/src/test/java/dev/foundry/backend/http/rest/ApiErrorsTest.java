package dev.foundry.backend.http.rest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.foundry.backend.http.ApiError;
import dev.foundry.backend.runtime.ActorKey;
import dev.foundry.backend.runtime.ActorNotFoundException;
import dev.foundry.backend.runtime.CommandFailedException;
import dev.foundry.backend.runtime.CommandRejectedException;
import dev.foundry.backend.runtime.CommandTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** The one mapping from actor failures to statuses (docs/api.md's table). */
class ApiErrorsTest {
  private static int status(Throwable t) {
    return ApiErrors.of(new CompletionException(t)).status().intValue();
  }

  private static int rejected(String code) {
    return status(new CommandRejectedException("c1", code, "refused"));
  }

  @Test
  void rejectionsMapByTheirCode() {
    assertThat(rejected("task_archived")).isEqualTo(409);
    assertThat(rejected("task_killed")).isEqualTo(409);
    assertThat(rejected("session_busy")).isEqualTo(409);
    assertThat(rejected("branch_in_use")).isEqualTo(409);
    assertThat(rejected("task_not_found")).isEqualTo(404);
    assertThat(rejected("repository_not_found")).isEqualTo(404);
    assertThat(rejected("invalid_title")).isEqualTo(422);
    assertThat(rejected("not_signed_in")).isEqualTo(401);
    assertThat(rejected("organization_not_eligible")).isEqualTo(403);
    assertThat(rejected("something_new")).isEqualTo(409);
    assertThat(rejected("app_only")).isEqualTo(500);
  }

  @Test
  void timeoutsMissingActorsAndFailuresHaveTheirOwnStatus() {
    assertThat(status(new CommandTimeoutException("c1", Duration.ofSeconds(30)))).isEqualTo(504);
    assertThat(ApiErrors.of(new CommandTimeoutException("c1", Duration.ofSeconds(1))).code())
        .isEqualTo("command_timeout");
    assertThat(status(new ActorNotFoundException("task", ActorKey.of("org", "x")))).isEqualTo(404);
    assertThat(status(new CommandFailedException("c1", "boom", "it broke"))).isEqualTo(500);
    assertThat(ApiErrors.of(new CommandFailedException("c1", "boom", "secret detail")).message())
        .doesNotContain("secret detail");
    assertThat(status(new IllegalStateException("bug"))).isEqualTo(500);
    assertThat(status(new OverloadedForTest())).isEqualTo(429);
  }

  @Test
  void aCommandWhoseIoPassedItsDeadlineIsAGatewayTimeoutNamedIoTimeout() {
    ApiError error =
        ApiErrors.of(
            new CompletionException(
                new CommandFailedException(
                    "c1", "io_timeout", "the command's I/O did not finish within 300000 ms")));
    assertThat(error.status().intValue()).isEqualTo(504);
    assertThat(error.code()).isEqualTo("io_timeout");
    assertThat(error.message()).contains("did not finish");
  }

  /** The runtime's refusal of a call beyond an actor's bound (code {@code overloaded}). */
  private static final class OverloadedForTest extends dev.foundry.backend.runtime.ActorException {
    OverloadedForTest() {
      super("overloaded", "task x has 1000 commands and queries outstanding; retry later");
    }
  }
}
