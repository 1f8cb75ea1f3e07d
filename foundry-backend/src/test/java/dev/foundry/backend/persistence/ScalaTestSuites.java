package dev.foundry.backend.persistence;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.opentest4j.AssertionFailedError;
import org.scalatest.Args;
import org.scalatest.Reporter;
import org.scalatest.Suite;
import org.scalatest.events.Event;
import org.scalatest.events.InfoProvided;
import org.scalatest.events.RunAborted;
import org.scalatest.events.SuiteAborted;
import org.scalatest.events.TestCanceled;
import org.scalatest.events.TestFailed;
import org.scalatest.events.TestIgnored;
import org.scalatest.events.TestPending;
import org.scalatest.events.TestSucceeded;
import scala.Option;

/**
 * Runs a ScalaTest suite (Pekko's persistence TCK is one) inside a JUnit 5 {@code @TestFactory} and
 * turns each of its tests into a {@link DynamicTest}, so Surefire reports every TCK test by name
 * without the JUnit 4 vintage engine.
 */
final class ScalaTestSuites {
  private ScalaTestSuites() {}

  /** The outcome of one ScalaTest test. */
  record Outcome(String name, Kind kind, String message, Throwable error) {}

  enum Kind {
    SUCCEEDED,
    FAILED,
    CANCELED,
    IGNORED,
    PENDING,
    ABORTED
  }

  /** Runs the whole suite now (synchronously) and returns its outcomes in order. */
  static List<Outcome> run(Suite suite) {
    Map<String, Outcome> outcomes = new LinkedHashMap<>();
    List<Outcome> aborts = new ArrayList<>();
    Reporter reporter =
        (Event event) -> {
          synchronized (outcomes) {
            if (event instanceof TestSucceeded e) {
              outcomes.put(e.testName(), new Outcome(e.testName(), Kind.SUCCEEDED, "", null));
            } else if (event instanceof TestFailed e) {
              outcomes.put(
                  e.testName(),
                  new Outcome(e.testName(), Kind.FAILED, e.message(), orNull(e.throwable())));
            } else if (event instanceof TestCanceled e) {
              outcomes.put(
                  e.testName(),
                  new Outcome(e.testName(), Kind.CANCELED, e.message(), orNull(e.throwable())));
            } else if (event instanceof TestIgnored e) {
              outcomes.put(e.testName(), new Outcome(e.testName(), Kind.IGNORED, "", null));
            } else if (event instanceof TestPending e) {
              outcomes.put(e.testName(), new Outcome(e.testName(), Kind.PENDING, "", null));
            } else if (event instanceof SuiteAborted e) {
              aborts.add(
                  new Outcome(
                      "suite aborted: " + e.suiteName(),
                      Kind.ABORTED,
                      e.message(),
                      orNull(e.throwable())));
            } else if (event instanceof RunAborted e) {
              aborts.add(
                  new Outcome("run aborted", Kind.ABORTED, e.message(), orNull(e.throwable())));
            } else if (event instanceof InfoProvided) {
              // informational output of the suite; nothing to record
            }
          }
        };
    Args args =
        Args.apply(
            reporter,
            Args.apply$default$2(),
            Args.apply$default$3(),
            Args.apply$default$4(),
            Args.apply$default$5(),
            Args.apply$default$6(),
            Args.apply$default$7(),
            Args.apply$default$8(),
            Args.apply$default$9(),
            Args.apply$default$10());
    try {
      suite.run(Option.empty(), args).waitUntilCompleted();
    } catch (RuntimeException e) {
      aborts.add(new Outcome("run threw", Kind.ABORTED, String.valueOf(e), e));
    }
    List<Outcome> all;
    synchronized (outcomes) {
      all = new ArrayList<>(outcomes.values());
      all.addAll(aborts);
    }
    // Surefire's XML report numbers dynamic tests; the names go to the test's output file.
    for (Outcome o : all) {
      System.out.println(suite.suiteName() + " | " + o.kind() + " | " + o.name());
    }
    return all;
  }

  /** One dynamic test per outcome: failures and aborts fail, cancels/ignores/pending abort. */
  static List<DynamicTest> asDynamicTests(List<Outcome> outcomes) {
    List<DynamicTest> tests = new ArrayList<>();
    if (outcomes.isEmpty()) {
      tests.add(DynamicTest.dynamicTest("suite ran tests", () -> Assertions.fail("no test ran")));
    }
    for (Outcome o : outcomes) {
      tests.add(DynamicTest.dynamicTest(o.name(), () -> check(o)));
    }
    return tests;
  }

  private static void check(Outcome o) {
    switch (o.kind()) {
      case SUCCEEDED -> {}
      case FAILED, ABORTED -> {
        AssertionFailedError failure =
            new AssertionFailedError(o.kind() + ": " + o.name() + ": " + o.message());
        if (o.error() != null) {
          failure.initCause(o.error());
        }
        throw failure;
      }
      // The TCK cancels the tests of capabilities a plugin does not declare. They are reported as
      // skipped (visible in the report), never as passed. Every capability our configuration
      // supports is declared, and the suite currently skips none.
      case CANCELED, IGNORED, PENDING ->
          Assumptions.abort(
              o.kind() + ": " + o.name() + (o.message().isEmpty() ? "" : ": " + o.message()));
    }
  }

  private static Throwable orNull(Option<Throwable> t) {
    return t.isDefined() ? t.get() : null;
  }
}
