package dev.foundry.backend;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.foundry.backend.config.FoundryConfig;
import dev.foundry.backend.config.FoundrySettings;
import dev.foundry.backend.config.InvalidSettingException;
import dev.foundry.backend.config.MissingSettingException;
import org.slf4j.LoggerFactory;

/**
 * {@code java -jar foundry-backend.jar}: reads configuration, refuses to start on a missing or bad
 * setting with one line naming it (exit code 2), otherwise runs until SIGTERM.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    // On a 2-core machine the common pool has parallelism 1, and CompletableFuture then starts a
    // thread per async task (DESIGN.md §7). Libraries use it; give it real workers.
    if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null) {
      System.setProperty(
          "java.util.concurrent.ForkJoinPool.common.parallelism",
          String.valueOf(Math.max(4, Runtime.getRuntime().availableProcessors())));
    }
    Config config;
    FoundrySettings settings;
    try {
      config = FoundryConfig.load();
      settings = FoundrySettings.from(config);
    } catch (MissingSettingException | InvalidSettingException | ConfigException e) {
      System.err.println("foundry: cannot start: " + e.getMessage());
      System.exit(2);
      return;
    }
    // Logback reads LOG_FORMAT when it starts, which is on the first logger lookup below.
    System.setProperty("LOG_FORMAT", settings.logFormat().name().toLowerCase());
    System.setProperty("LOG_LEVEL", settings.logLevel());
    try {
      FoundryApp.start(config, settings);
    } catch (RuntimeException e) {
      LoggerFactory.getLogger(Main.class).error("Foundry failed to start", e);
      System.err.println("foundry: failed to start: " + e.getMessage());
      System.exit(1);
    }
  }
}
