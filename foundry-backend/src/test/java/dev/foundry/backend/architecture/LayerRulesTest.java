package dev.foundry.backend.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layers of docs/architecture.md as rules the build checks: each {@code package-info} says the
 * same rule in one sentence, and this test keeps the two from drifting apart.
 */
class LayerRulesTest {
  private static final String BACKEND = "dev.foundry.backend";
  private static final List<String> ACTORS =
      List.of("organization", "task", "sandbox", "user", "auditlog", "githubdata");

  private static JavaClasses ours;

  /**
   * Our main classes, wherever they are: in a reactor build the other modules arrive as jars, so
   * jars are not excluded (only our packages are imported anyway).
   */
  @BeforeAll
  static void importMainClasses() {
    ours =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(
                BACKEND, "dev.foundry.shared", "dev.foundry.migrations", "dev.foundry.sandbox");
  }

  @Test
  void theWireContractDependsOnNothingOfOurs() {
    classes()
        .that()
        .resideInAPackage("dev.foundry.shared..")
        .should()
        .onlyDependOnClassesThat()
        .resideInAnyPackage("dev.foundry.shared..", "java..", "com.fasterxml.jackson..")
        .check(ours);
  }

  @Test
  void migrationsDependOnNothingOfOurs() {
    noClasses()
        .that()
        .resideInAPackage("dev.foundry.migrations..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(BACKEND + "..", "dev.foundry.shared..", "dev.foundry.sandbox..")
        .check(ours);
  }

  @Test
  void theSandboxRuntimeKnowsNoPekkoAndNoBackend() {
    noClasses()
        .that()
        .resideInAPackage("dev.foundry.sandbox..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.apache.pekko..", BACKEND + "..")
        .check(ours);
  }

  @Test
  void theRuntimeKnowsNoProductActorAndNoHttp() {
    noClasses()
        .that()
        .resideInAPackage(BACKEND + ".runtime..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            packages(
                "organization",
                "task",
                "sandbox",
                "user",
                "auditlog",
                "protocol",
                "http",
                "config"))
        .check(ours);
  }

  @Test
  void protocolsDependOnTheRuntimeAndTheWireContractOnly() {
    classes()
        .that()
        .resideInAPackage(BACKEND + ".protocol..")
        .should()
        .onlyDependOnClassesThat()
        .resideInAnyPackage(
            BACKEND + ".protocol..",
            BACKEND + ".runtime..",
            "dev.foundry.shared..",
            "dev.foundry.sandbox..",
            "java..",
            "com.fasterxml.jackson..",
            "org.slf4j..")
        .check(ours);
  }

  @Test
  void actorsKnowNoHttp() {
    noClasses()
        .that()
        .resideInAnyPackage(packages(ACTORS.toArray(String[]::new)))
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(BACKEND + ".http..", "org.apache.pekko.http..")
        .check(ours);
  }

  @Test
  void actorsTalkToEachOtherThroughProtocolsOnly() {
    for (String actor : ACTORS) {
      String[] others = ACTORS.stream().filter(a -> !a.equals(actor)).toArray(String[]::new);
      noClasses()
          .that()
          .resideInAPackage(BACKEND + "." + actor + "..")
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(packages(others))
          .because("an actor addresses another through its protocol, never its implementation")
          .check(ours);
    }
  }

  @Test
  void githubKnowsNoHttp() {
    noClasses()
        .that()
        .resideInAPackage(BACKEND + ".github..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(BACKEND + ".http..", "org.apache.pekko.http..")
        .check(ours);
  }

  @Test
  void httpNeverReadsTables() {
    noClasses()
        .that()
        .resideInAPackage(BACKEND + ".http..")
        .should()
        .dependOnClassesThat()
        .haveSimpleNameEndingWith("Tables")
        .check(ours);
  }

  @Test
  void configurationDependsOnNothingElseInTheBackend() {
    classes()
        .that()
        .resideInAPackage(BACKEND + ".config..")
        .should()
        .onlyDependOnClassesThat()
        .resideInAnyPackage(BACKEND + ".config..", "java..", "com.typesafe.config..", "org.slf4j..")
        .check(ours);
  }

  @Test
  void backendPackagesHaveNoCycles() {
    slices().matching(BACKEND + ".(*)..").should().beFreeOfCycles().check(ours);
  }

  private static String[] packages(String... names) {
    return java.util.Arrays.stream(names).map(n -> BACKEND + "." + n + "..").toArray(String[]::new);
  }
}
