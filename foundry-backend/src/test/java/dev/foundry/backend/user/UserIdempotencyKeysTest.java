package dev.foundry.backend.user;

import static dev.foundry.backend.runtime.RuntimeFixture.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.protocol.UserProtocol.ClaimIdempotencyKey;
import dev.foundry.backend.protocol.UserProtocol.CompleteIdempotencyKey;
import dev.foundry.backend.protocol.UserProtocol.IdempotencyClaim;
import dev.foundry.backend.protocol.UserProtocol.IdempotencyClaim.Outcome;
import dev.foundry.backend.protocol.UserProtocol.ReleaseIdempotencyKey;
import dev.foundry.backend.runtime.ActorFiles;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.RuntimeFixture;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user's Idempotency-Keys as the user actor keeps them: claim, keep, release, take over, purge.
 */
class UserIdempotencyKeysTest {
  @TempDir static Path dataDir;
  private static RuntimeFixture fixture;
  private String userId;
  private DurableRef<UserProtocol.Command<?>> user;

  @BeforeAll
  static void start() {
    fixture = new RuntimeFixture(dataDir, List.of(UserActor.KIND));
  }

  @AfterAll
  static void stop() {
    fixture.close();
  }

  @BeforeEach
  void newUser() {
    userId = "u-" + UUID.randomUUID();
    user = fixture.runtime().getOrCreate(UserProtocol.TYPE, UserProtocol.key(userId));
  }

  private IdempotencyClaim claim(String key, String hash, String run) {
    return await(user.ask(new ClaimIdempotencyKey(key, hash, run)));
  }

  @Test
  void aKeyIsRunOnceThenAnswersItsKeptResult() {
    assertThat(claim("k", "h1", "run-a").outcome()).isEqualTo(Outcome.CLAIMED);
    // The same run still holds it: a second request waits for nothing and is told so.
    assertThat(claim("k", "h1", "run-a").outcome()).isEqualTo(Outcome.IN_USE);
    assertThat(await(user.ask(new CompleteIdempotencyKey("k", "run-a", 201, "{\"id\":\"t1\"}"))))
        .isTrue();
    assertThat(claim("k", "h1", "run-b"))
        .isEqualTo(new IdempotencyClaim(Outcome.COMPLETED, 201, "{\"id\":\"t1\"}"));
    // Another request under the same key is refused, also once it is answered.
    assertThat(claim("k", "h2", "run-a").outcome()).isEqualTo(Outcome.REUSED);
    // A kept answer is not replaced.
    assertThat(await(user.ask(new CompleteIdempotencyKey("k", "run-a", 500, "{}")))).isFalse();
    assertThat(claim("k", "h1", "run-a").status()).isEqualTo(201);
  }

  @Test
  void aClaimOfAnEarlierRunIsTakenOverAndItsLateCompletionIgnored() {
    assertThat(claim("k", "h", "crashed-run").outcome()).isEqualTo(Outcome.CLAIMED);
    assertThat(claim("k", "h", "this-run").outcome()).isEqualTo(Outcome.CLAIMED);
    assertThat(await(user.ask(new CompleteIdempotencyKey("k", "crashed-run", 201, "{}"))))
        .isFalse();
    assertThat(await(user.ask(new CompleteIdempotencyKey("k", "this-run", 201, "{\"a\":1}"))))
        .isTrue();
    assertThat(claim("k", "h", "this-run").body()).isEqualTo("{\"a\":1}");
  }

  @Test
  void aReleasedKeyRunsAgainAndKeysArePerUser() {
    assertThat(claim("k", "h", "run").outcome()).isEqualTo(Outcome.CLAIMED);
    assertThat(await(user.ask(new ReleaseIdempotencyKey("k", "other-run")))).isFalse();
    assertThat(await(user.ask(new ReleaseIdempotencyKey("k", "run")))).isTrue();
    assertThat(claim("k", "other-request", "run").outcome()).isEqualTo(Outcome.CLAIMED);

    DurableRef<UserProtocol.Command<?>> other =
        fixture
            .runtime()
            .getOrCreate(UserProtocol.TYPE, UserProtocol.key("u-" + UUID.randomUUID()));
    assertThat(await(other.ask(new ClaimIdempotencyKey("k", "h", "run"))).outcome())
        .isEqualTo(Outcome.CLAIMED);
  }

  @Test
  void keysOlderThan24HoursArePurgedAndCountAsNew() throws Exception {
    assertThat(claim("old", "h", "run").outcome()).isEqualTo(Outcome.CLAIMED);
    await(user.ask(new CompleteIdempotencyKey("old", "run", 201, "{}")));
    assertThat(claim("young", "h", "run").outcome()).isEqualTo(Outcome.CLAIMED);
    // Age the first key past 24 h in the actor's own file.
    Path file = new ActorFiles(dataDir).databaseFile("user", UserProtocol.key(userId));
    try (Connection db = DriverManager.getConnection("jdbc:sqlite:" + file);
        PreparedStatement age =
            db.prepareStatement(
                "UPDATE user_idempotency_keys SET created_at = ? WHERE idempotency_key = 'old'")) {
      age.setLong(1, System.currentTimeMillis() - UserProtocol.IDEMPOTENCY_KEY_TTL_MS - 60_000);
      assertThat(age.executeUpdate()).isEqualTo(1);
    }
    // Another request under the expired key is a new request, and the young key is kept.
    assertThat(claim("old", "other", "run").outcome()).isEqualTo(Outcome.CLAIMED);
    assertThat(claim("young", "h", "run").outcome()).isEqualTo(Outcome.IN_USE);
    assertThat(claim("young", "x", "run").outcome()).isEqualTo(Outcome.REUSED);
  }
}
