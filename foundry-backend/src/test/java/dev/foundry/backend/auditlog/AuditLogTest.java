package dev.foundry.backend.auditlog;

import static dev.foundry.backend.runtime.RuntimeFixture.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.foundry.backend.protocol.AuditLogProtocol;
import dev.foundry.backend.protocol.AuditLogProtocol.Append;
import dev.foundry.backend.protocol.AuditLogProtocol.ListEntries;
import dev.foundry.backend.runtime.CommandRejectedException;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.RuntimeFixture;
import dev.foundry.shared.contracts.AuditLogEvent;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditLogTest {
  // One runtime for the class (starting one costs about a second); each test uses its own org.
  @TempDir static Path dataDir;
  private static RuntimeFixture fixture;
  private String org;

  @BeforeAll
  static void start() {
    fixture = new RuntimeFixture(dataDir, List.of(AuditLog.KIND));
  }

  @AfterAll
  static void stop() {
    fixture.close();
  }

  @BeforeEach
  void newOrganization() {
    org = "org-" + UUID.randomUUID();
  }

  private DurableRef<AuditLogProtocol.Command<?>> log(String org) {
    return fixture.runtime().getOrCreate(AuditLogProtocol.TYPE, AuditLogProtocol.key(org));
  }

  private static Append entry(String kind, String taskId) {
    return new Append(kind, "repo-1", taskId, "feat-x", Map.of("reason", "test"), null);
  }

  private List<AuditLogEvent> list(String org, ListEntries q) {
    return await(log(org).query(q));
  }

  @Test
  void entriesAreListedNewestFirstWithTheirPayloadAndOrganization() {
    await(log(org).ask(entry("task.created", "t1")));
    await(log(org).ask(entry("task.initialized", "t1")));
    List<AuditLogEvent> entries = list(org, ListEntries.newest(10));
    assertThat(entries)
        .extracting(AuditLogEvent::kind)
        .containsExactly("task.initialized", "task.created");
    assertThat(entries.get(0).organizationId()).isEqualTo(org);
    assertThat(entries.get(0).payloadJson()).isEqualTo("{\"reason\":\"test\"}");
    assertThat(entries.get(0).branchName()).isEqualTo("feat-x");
  }

  @Test
  void pagingWithBeforeWalksToOlderEntries() {
    for (int i = 0; i < 7; i++) {
      await(log(org).ask(entry("k" + i, "t1")));
    }
    List<AuditLogEvent> first = list(org, ListEntries.newest(3));
    assertThat(first).extracting(AuditLogEvent::kind).containsExactly("k6", "k5", "k4");
    List<AuditLogEvent> second =
        list(org, new ListEntries(null, null, null, null, 3, first.get(2).id()));
    assertThat(second).extracting(AuditLogEvent::kind).containsExactly("k3", "k2", "k1");
  }

  @Test
  void filtersByTaskAndKindCombine() {
    await(log(org).ask(entry("task.created", "t1")));
    await(log(org).ask(entry("task.created", "t2")));
    await(log(org).ask(entry("task.archive", "t1")));
    assertThat(list(org, ListEntries.ofTask("t1")))
        .extracting(AuditLogEvent::kind)
        .containsExactly("task.archive", "task.created");
    assertThat(list(org, new ListEntries(null, "t1", null, "task.created", null, null)))
        .singleElement()
        .extracting(AuditLogEvent::taskId)
        .isEqualTo("t1");
    assertThat(list(org, new ListEntries(null, null, null, "task.created", null, null))).hasSize(2);
  }

  @Test
  void anEntryWithoutKindIsRejectedAndNothingIsWritten() {
    assertThatThrownBy(() -> await(log(org).ask(entry(" ", "t1"))))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "invalid_kind");
    assertThat(list(org, ListEntries.newest(10))).isEmpty();
  }

  @Test
  void aLimitOutsideOneToFiveHundredIsATypedError() {
    assertThatThrownBy(() -> list(org, ListEntries.newest(0)))
        .isInstanceOf(CommandRejectedException.class)
        .hasFieldOrPropertyWithValue("code", "invalid_limit");
    assertThatThrownBy(() -> list(org, ListEntries.newest(501)))
        .isInstanceOf(CommandRejectedException.class);
  }

  @Test
  void aResentAppendWithTheSameDedupeKeyAddsNoSecondEntry() {
    Append once = new Append("task.kill", null, "t1", null, Map.of(), "cmd-1/task.kill");
    long first = await(log(org).ask(once));
    long again = await(log(org).ask(once));
    assertThat(again).isEqualTo(first);
    assertThat(list(org, ListEntries.newest(10))).hasSize(1);
  }

  @Test
  void recordDoesNotWaitAndTheEntryArrivesDurably() {
    String commandId =
        await(AuditLogProtocol.record(fixture.runtime(), org, entry("task.push", "t9")));
    assertThat(commandId).isNotBlank();
    fixture.restart();
    assertThat(list(org, ListEntries.ofTask("t9")))
        .extracting(AuditLogEvent::kind)
        .containsExactly("task.push");
  }

  @Test
  void entriesSurviveARestartAndIdsKeepGrowing() {
    await(log(org).ask(entry("a", "t1")));
    fixture.restart();
    long id = await(log(org).ask(entry("b", "t1")));
    assertThat(id).isEqualTo(2);
    assertThat(list(org, ListEntries.newest(10)))
        .extracting(AuditLogEvent::kind)
        .containsExactly("b", "a");
  }

  @Test
  void organizationsHaveSeparateLogs() {
    await(log(org).ask(entry("a", "t1")));
    assertThat(list("other-" + org, ListEntries.newest(10))).isEmpty();
  }
}
