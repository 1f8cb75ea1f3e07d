package dev.foundry.backend.user;

import static dev.foundry.backend.runtime.RuntimeFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.protocol.UserProtocol.BumpTask;
import dev.foundry.backend.protocol.UserProtocol.DeleteTaskState;
import dev.foundry.backend.protocol.UserProtocol.GetInbox;
import dev.foundry.backend.protocol.UserProtocol.GetProfile;
import dev.foundry.backend.protocol.UserProtocol.GetProviderCredentialStatus;
import dev.foundry.backend.protocol.UserProtocol.GetTaskState;
import dev.foundry.backend.protocol.UserProtocol.MarkNotificationRead;
import dev.foundry.backend.protocol.UserProtocol.MarkTaskRead;
import dev.foundry.backend.protocol.UserProtocol.Notify;
import dev.foundry.backend.protocol.UserProtocol.SealedCredential;
import dev.foundry.backend.protocol.UserProtocol.SetDefaultModel;
import dev.foundry.backend.protocol.UserProtocol.UpsertProfile;
import dev.foundry.backend.protocol.UserProtocol.UpsertTaskState;
import dev.foundry.backend.protocol.UserProtocol.UserTaskState;
import dev.foundry.backend.runtime.CommandRejectedException;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.Publication;
import dev.foundry.backend.runtime.RuntimeFixture;
import dev.foundry.shared.app.FoundryAppSnapshot.ProviderCredentials;
import dev.foundry.shared.app.FoundryUser;
import dev.foundry.shared.inbox.UserInbox;
import dev.foundry.shared.inbox.UserTaskFeedEntry;
import dev.foundry.shared.workspace.WorkspaceLineAttachment;
import dev.foundry.shared.workspace.WorkspaceModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UserActorTest {
  @TempDir static Path dataDir;
  private static RuntimeFixture fixture;
  private String alice;
  private String bob;

  @BeforeAll
  static void start() {
    fixture = new RuntimeFixture(dataDir, List.of(UserActor.KIND));
  }

  @AfterAll
  static void stop() {
    fixture.close();
  }

  @BeforeEach
  void newUsers() {
    alice = "alice-" + UUID.randomUUID();
    bob = "bob-" + UUID.randomUUID();
  }

  private DurableRef<UserProtocol.Command<?>> user(String id) {
    return fixture.runtime().getOrCreate(UserProtocol.TYPE, UserProtocol.key(id));
  }

  private FoundryUser signUp(String id, String login) {
    return await(
        user(id)
            .ask(
                new UpsertProfile(
                    login, login + "@example.com", null, null, login, null, List.of("o1"))));
  }

  @Test
  void aProfileIsCreatedWithDefaultsThenPatchedFieldByField() {
    FoundryUser created = signUp(alice, "alice");
    assertThat(created.id()).isEqualTo(alice);
    assertThat(created.roleLabel()).isEqualTo("GitHub user");
    assertThat(created.defaultModel()).isEqualTo(WorkspaceModels.DEFAULT_MODEL_ID);
    assertThat(created.eligibleOrganizationIds()).containsExactly("o1");

    FoundryUser patched =
        await(user(alice).ask(new UpsertProfile("Alice A.", null, null, null, null, null, null)));
    assertThat(patched.name()).isEqualTo("Alice A.");
    assertThat(patched.email()).isEqualTo("alice@example.com");
    assertThat(patched.eligibleOrganizationIds()).containsExactly("o1");
  }

  @Test
  void theDefaultModelChangesAndABlankOneIsRejected() {
    signUp(alice, "alice");
    assertThat(await(user(alice).ask(new SetDefaultModel("claude-sonnet-4"))).defaultModel())
        .isEqualTo("claude-sonnet-4");
    assertThatThrownBy(() -> await(user(alice).ask(new SetDefaultModel(" "))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "invalid_model");
    assertThat(await(user(alice).query(new GetProfile())).defaultModel())
        .isEqualTo("claude-sonnet-4");
  }

  @Test
  void aUserWithoutProfileCannotSetAModelAndStaysWithoutProfile() {
    assertThatThrownBy(() -> await(user(alice).ask(new SetDefaultModel("gpt-5.4"))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "user_not_found");
    assertThat(await(user(alice).query(new GetProfile()))).isNull();
  }

  @Test
  void unreadDraftAndSelectedSessionArePerUser() {
    WorkspaceLineAttachment line = new WorkspaceLineAttachment("a1", "src/Main.java", 3, "x++;");
    await(user(alice).ask(new UpsertTaskState("t1", "s1", "s1", true, "hello", List.of(line))));
    await(user(bob).ask(new UpsertTaskState("t1", "s2", "s2", false, null, null)));

    UserTaskState a = await(user(alice).query(new GetTaskState("t1")));
    UserTaskState b = await(user(bob).query(new GetTaskState("t1")));
    assertThat(a.activeSessionId()).isEqualTo("s1");
    assertThat(a.session("s1").unread()).isTrue();
    assertThat(a.session("s1").draft().text()).isEqualTo("hello");
    assertThat(a.session("s1").draft().attachments()).containsExactly(line);
    assertThat(a.session("s1").draft().updatedAtMs()).isNotNull();
    assertThat(b.activeSessionId()).isEqualTo("s2");
    assertThat(b.session("s1")).isNull();
    assertThat(b.session("s2").draft().text()).isEmpty();
  }

  @Test
  void selectingASessionMovesTheActiveSessionOfTheWholeTaskAndKeepsDrafts() {
    await(user(alice).ask(new UpsertTaskState("t1", "s1", "s1", null, "draft one", null)));
    await(user(alice).ask(new UpsertTaskState("t1", "s2", "s2", null, null, null)));
    UserTaskState state = await(user(alice).query(new GetTaskState("t1")));
    assertThat(state.activeSessionId()).isEqualTo("s2");
    assertThat(state.sessions()).hasSize(2);
    assertThat(state.session("s1").draft().text()).isEqualTo("draft one");

    assertThat(await(user(alice).ask(new DeleteTaskState("t1", "s1")))).isTrue();
    assertThat(await(user(alice).query(new GetTaskState("t1"))).sessions()).hasSize(1);
    assertThat(await(user(alice).ask(new DeleteTaskState("t1", null)))).isTrue();
    assertThat(await(user(alice).query(new GetTaskState("t1"))).sessions()).isEmpty();
    assertThat(await(user(alice).ask(new DeleteTaskState("t1", null)))).isFalse();
  }

  @Test
  void aTaskStateWithoutTaskOrSessionIsRejected() {
    assertThatThrownBy(
            () -> await(user(alice).ask(new UpsertTaskState("t1", " ", null, true, null, null))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "invalid_task_state");
    assertThat(await(user(alice).query(new GetTaskState("t1"))).sessions()).isEmpty();
  }

  @Test
  void providerCredentialsAreEncryptedEverywhereOnDiskAndOpenWithTheKey() throws IOException {
    byte[] key = new byte[32];
    key[0] = 7;
    ProviderCredentialStore store =
        new ProviderCredentialStore(fixture.runtime(), new CredentialCipher(key));
    String secret = "{\"token\":\"sk-ant-" + UUID.randomUUID() + "\"}";

    ProviderCredentials status =
        await(store.store(alice, "anthropic", secret, ".claude/.credentials.json"));
    assertThat(status).isEqualTo(new ProviderCredentials(true, false));
    assertThat(await(store.load(alice)).get("anthropic").credentialFileJson()).isEqualTo(secret);
    assertThat(await(store.load(alice)).get("anthropic").toString()).doesNotContain("sk-ant");

    fixture.restart(); // flushes the journal and the actor file
    assertThat(filesContaining(secret.substring(10, 30))).isEmpty();
    assertThat(await(user(alice).query(new GetProviderCredentialStatus())).anthropic()).isTrue();
    store = new ProviderCredentialStore(fixture.runtime(), new CredentialCipher(key));
    assertThat(await(store.load(alice)).get("anthropic").filePath())
        .isEqualTo(".claude/.credentials.json");
  }

  @Test
  void aSealedCredentialDoesNotOpenForAnotherUserOrKey() {
    byte[] key = new byte[32];
    CredentialCipher cipher = new CredentialCipher(key);
    SealedCredential sealed = cipher.seal(alice, "openai", "{}");
    assertThat(cipher.open(alice, "openai", sealed)).isEqualTo("{}");
    assertThatThrownBy(() -> cipher.open(bob, "openai", sealed))
        .isInstanceOf(IllegalArgumentException.class);
    byte[] other = new byte[32];
    other[31] = 1;
    assertThatThrownBy(() -> new CredentialCipher(other).open(alice, "openai", sealed))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new CredentialCipher(new byte[16]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void anUnknownProviderIsRejected() {
    CredentialCipher cipher = new CredentialCipher(new byte[32]);
    assertThatThrownBy(
            () ->
                await(
                    user(alice)
                        .ask(
                            new UserProtocol.StoreProviderCredential(
                                "gemini", cipher.seal(alice, "gemini", "{}"), "x"))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "invalid_provider");
    assertThat(await(user(alice).query(new GetProviderCredentialStatus())))
        .isEqualTo(new ProviderCredentials(false, false));
  }

  @Test
  void theFeedIsOrderedByTheLatestBumpAndNotificationsCountAsUnread() {
    List<Publication> seen = new CopyOnWriteArrayList<>();
    fixture.hub().subscribe("user", alice, seen::add);
    await(user(alice).ask(new BumpTask("o1", "r1", "t1", "Fix login", "agent finished")));
    await(user(alice).ask(new BumpTask("o1", "r1", "t2", "Add docs", "mentioned")));
    UserInbox inbox = await(user(alice).ask(new BumpTask("o1", "r1", "t1", "", "pr merged")));
    assertThat(inbox.feed()).extracting(UserTaskFeedEntry::taskId).containsExactly("t1", "t2");
    assertThat(inbox.feed().get(0).title()).isEqualTo("Fix login");
    assertThat(inbox.feed().get(0).reason()).isEqualTo("pr merged");

    long id = await(user(alice).ask(new Notify("o1", "t2", "mention", "bob mentioned you")));
    assertThat(await(user(alice).query(new GetInbox())).unreadCount()).isEqualTo(3);
    await(user(alice).ask(new MarkTaskRead("t1")));
    UserInbox after = await(user(alice).ask(new MarkNotificationRead(id)));
    assertThat(after.unreadCount()).isEqualTo(1);
    assertThat(after.notifications().get(0).readAtMs()).isNotNull();

    assertThat(seen).hasSize(6);
    assertThat(seen).allSatisfy(p -> assertThat(p.audience()).isEqualTo(alice));
    assertThat(seen.get(5).payload()).isInstanceOf(UserInbox.class);
    assertThat(await(user(bob).query(new GetInbox())).feed()).isEmpty();
  }

  @Test
  void markingUnknownInboxItemsIsRejected() {
    assertThatThrownBy(() -> await(user(alice).ask(new MarkTaskRead("nope"))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "task_not_in_feed");
    assertThatThrownBy(() -> await(user(alice).ask(new MarkNotificationRead(42))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "notification_not_found");
  }

  @Test
  void everythingSurvivesARestart() {
    signUp(alice, "alice");
    await(user(alice).ask(new UpsertTaskState("t1", "s1", "s1", true, "draft", null)));
    await(user(alice).ask(new BumpTask("o1", "r1", "t1", "T", "why")));
    fixture.restart();
    assertThat(await(user(alice).query(new GetProfile())).githubLogin()).isEqualTo("alice");
    assertThat(await(user(alice).query(new GetTaskState("t1"))).session("s1").draft().text())
        .isEqualTo("draft");
    assertThat(await(user(alice).query(new GetInbox())).feed()).hasSize(1);
  }

  private static List<Path> filesContaining(String needle) throws IOException {
    byte[] bytes = needle.getBytes(StandardCharsets.UTF_8);
    try (Stream<Path> files = Files.walk(dataDir)) {
      return files.filter(Files::isRegularFile).filter(f -> contains(read(f), bytes)).toList();
    }
  }

  private static byte[] read(Path f) {
    try {
      return Files.readAllBytes(f);
    } catch (IOException e) {
      return new byte[0];
    }
  }

  private static boolean contains(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }
}
