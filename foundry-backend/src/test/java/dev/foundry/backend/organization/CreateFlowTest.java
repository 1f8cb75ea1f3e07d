package dev.foundry.backend.organization;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class CreateFlowTest {

  @Test
  void titlesAreConventionalCommitsFromThePromptsFirstLine() {
    assertThat(CreateFlow.deriveTitle("\n  Fix the login bug!\nmore", null))
        .isEqualTo("fix: Fix the login bug");
    assertThat(CreateFlow.deriveTitle("Update the README", null))
        .isEqualTo("docs: Update the README");
    assertThat(CreateFlow.deriveTitle("Refactor billing", null))
        .isEqualTo("refactor: Refactor billing");
    assertThat(CreateFlow.deriveTitle("Add dark mode", null)).isEqualTo("feat: Add dark mode");
    assertThat(CreateFlow.deriveTitle("anything", "FIX: typo in header"))
        .isEqualTo("fix: typo in header");
    assertThat(CreateFlow.deriveTitle("", null)).isEqualTo("feat: update task");
    assertThat(CreateFlow.deriveTitle("x".repeat(100), null)).hasSize("feat: ".length() + 62);
  }

  @Test
  void generatedBranchesAvoidTheRepositorysTaskBranches() {
    Random random = new Random(42);
    Set<String> taken = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      String branch = CreateFlow.decide("task", null, null, taken::contains, random).branchName();
      assertThat(branch).matches("[a-z]+-[a-z0-9]{4}");
      assertThat(taken.add(branch)).isTrue();
    }
  }

  @Test
  void anExplicitBranchIsKeptUnlessTakenOrInvalid() {
    assertThat(CreateFlow.decide("t", null, " feature/x ", b -> false, new Random()).branchName())
        .isEqualTo("feature/x");
    assertThatThrownBy(
            () ->
                CreateFlow.decide(
                    "t", null, "feature/x", Set.of("feature/x")::contains, new Random()))
        .isInstanceOf(IllegalStateException.class);
    for (String bad : new String[] {"a..b", "-x", "x.lock", "has space", "x/", "a//b"}) {
      assertThatThrownBy(() -> CreateFlow.requireValidBranch(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
