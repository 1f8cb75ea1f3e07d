package dev.foundry.backend.organization;

import static dev.foundry.backend.runtime.RuntimeFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.OrganizationProtocol.FindSession;
import dev.foundry.backend.protocol.OrganizationProtocol.FindUserByAccount;
import dev.foundry.backend.protocol.OrganizationProtocol.FindUserByEmail;
import dev.foundry.backend.protocol.OrganizationProtocol.IndexAccount;
import dev.foundry.backend.protocol.OrganizationProtocol.IndexEmail;
import dev.foundry.backend.protocol.OrganizationProtocol.IndexSession;
import dev.foundry.backend.protocol.OrganizationProtocol.LocalSignIn;
import dev.foundry.backend.protocol.OrganizationProtocol.RemoveSession;
import dev.foundry.backend.protocol.OrganizationProtocol.SelectOrganization;
import dev.foundry.backend.protocol.OrganizationProtocol.SignInLocalUser;
import dev.foundry.backend.runtime.CommandRejectedException;
import dev.foundry.backend.runtime.Publication;
import dev.foundry.shared.app.FoundryAppSnapshot;
import dev.foundry.shared.app.FoundryOrganization;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AppSnapshotsTest {
  @TempDir static Path dataDir;
  private static ProductFixture product;

  @BeforeAll
  static void start() {
    product = new ProductFixture(dataDir);
  }

  @AfterAll
  static void stop() {
    product.close();
  }

  private static String unique(String prefix) {
    return prefix + UUID.randomUUID().toString().substring(0, 8);
  }

  @Test
  void aLocalUserSignsInToTheirPersonalOrganization() {
    String login = unique("Alice.Smith-");
    String session = unique("s-");
    List<Publication> app = new CopyOnWriteArrayList<>();
    product.fixture().hub().subscribe("app", "app", app::add);

    LocalSignIn signIn =
        await(product.app().ask(new SignInLocalUser(session, login, "Alice", "alice@example.com")));
    assertThat(signIn.organizationId()).isEqualTo("personal-" + OrganizationIds.slug(login));
    assertThat(signIn.organizationId()).startsWith("personal-alice-smith-");

    FoundryAppSnapshot snapshot = await(AppSnapshots.snapshot(product.runtime(), session));
    assertThat(snapshot.auth().status()).isEqualTo("signed_in");
    assertThat(snapshot.auth().currentUserId()).isEqualTo(signIn.userId());
    assertThat(snapshot.activeOrganizationId()).isEqualTo(signIn.organizationId());
    assertThat(snapshot.users())
        .singleElement()
        .satisfies(u -> assertThat(u.githubLogin()).isEqualTo(login));
    assertThat(snapshot.organizations())
        .singleElement()
        .satisfies(
            o -> {
              assertThat(o.kind()).isEqualTo("personal");
              assertThat(o.members())
                  .singleElement()
                  .satisfies(m -> assertThat(m.role()).isEqualTo("owner"));
            });
    assertThat(await(product.app().query(new FindUserByEmail("ALICE@example.com"))))
        .isEqualTo(signIn.userId());

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(app)
                    .anySatisfy(
                        p -> {
                          assertThat(p.audience()).isEqualTo(signIn.userId());
                          assertThat(((FoundryAppSnapshot) p.payload()).activeOrganizationId())
                              .isEqualTo(signIn.organizationId());
                        }));
  }

  @Test
  void signingInTwiceKeepsOneOrganizationAndOneOwner() {
    String login = unique("bob-");
    await(product.app().ask(new SignInLocalUser(unique("s-"), login, "Bob", null)));
    LocalSignIn again =
        await(product.app().ask(new SignInLocalUser(unique("s-"), login, "Bob", null)));
    FoundryOrganization org =
        await(
            product.org(again.organizationId()).query(new OrganizationProtocol.GetOrganization()));
    assertThat(org.members()).hasSize(1);
  }

  @Test
  void buildingASnapshotCreatesNoOrganizationAndNoUser() {
    String session = unique("s-");
    String missingOrg = unique("personal-missing-");
    String userId = unique("u-");
    await(product.app().ask(new IndexSession(session, userId)));
    assertThat(await(AppSnapshots.snapshot(product.runtime(), session)).auth().status())
        .isEqualTo("signed_out");
    await(
        product
            .user(userId)
            .ask(
                new dev.foundry.backend.protocol.UserProtocol.UpsertProfile(
                    "U", "u@x", null, null, "u", null, List.of(missingOrg))));
    FoundryAppSnapshot snapshot = await(AppSnapshots.snapshot(product.runtime(), session));
    assertThat(snapshot.auth().status()).isEqualTo("signed_in");
    assertThat(snapshot.organizations()).isEmpty();
    assertThat(snapshot.activeOrganizationId()).isNull();
    assertThatThrownBy(
            () ->
                await(
                    product
                        .runtime()
                        .get(OrganizationProtocol.TYPE, OrganizationProtocol.key(missingOrg))
                        .query(new OrganizationProtocol.GetOrganization())))
        .isInstanceOf(dev.foundry.backend.runtime.ActorNotFoundException.class);
  }

  @Test
  void anUnknownSessionSeesTheSignedOutSnapshot() {
    FoundryAppSnapshot snapshot = await(AppSnapshots.snapshot(product.runtime(), "nobody"));
    assertThat(snapshot.auth().status()).isEqualTo("signed_out");
    assertThat(snapshot.organizations()).isEmpty();
  }

  @Test
  void aLoginWithoutLettersOrDigitsIsRejected() {
    assertThatThrownBy(() -> await(product.app().ask(new SignInLocalUser("s", "!!!", null, null))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "invalid_login");
    assertThat(await(product.app().query(new FindSession("s")))).isNull();
  }

  @Test
  void onlyAnEligibleOrganizationCanBecomeActive() {
    String session = unique("s-");
    LocalSignIn signIn =
        await(product.app().ask(new SignInLocalUser(session, unique("carol-"), null, null)));
    String other = product.newPersonalOrganization("someone-else");
    assertThatThrownBy(() -> await(product.app().ask(new SelectOrganization(session, other))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "organization_not_eligible");
    assertThat(await(product.app().query(new FindSession(session))).activeOrganizationId())
        .isEqualTo(signIn.organizationId());
    assertThat(await(product.app().ask(new SelectOrganization(session, signIn.organizationId()))))
        .isEqualTo(signIn.organizationId());
    assertThatThrownBy(() -> await(product.app().ask(new SelectOrganization("no-session", other))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "not_signed_in");
  }

  @Test
  void authIndexesRouteToUsersAndSurviveARestart() {
    await(product.app().ask(new IndexSession("sess-1", "user-1")));
    await(product.app().ask(new IndexEmail("Dave@Example.com", "user-1")));
    await(product.app().ask(new IndexAccount("github", "12345", "user-1")));
    product.restart();
    assertThat(await(product.app().query(new FindSession("sess-1"))).userId()).isEqualTo("user-1");
    assertThat(await(product.app().query(new FindUserByEmail("dave@example.com"))))
        .isEqualTo("user-1");
    assertThat(await(product.app().query(new FindUserByAccount("github", "12345"))))
        .isEqualTo("user-1");
    assertThat(await(product.app().ask(new RemoveSession("sess-1")))).isTrue();
    assertThat(await(product.app().query(new FindSession("sess-1")))).isNull();
    assertThatThrownBy(() -> await(product.app().ask(new IndexEmail("not-an-email", "user-1"))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "invalid_email");
  }
}
