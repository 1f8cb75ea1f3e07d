package dev.foundry.backend.metrics;

import dev.foundry.backend.runtime.RuntimeMetrics;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The runtime's command meters in Micrometer: {@code foundry_command_duration_seconds} by actor
 * kind and outcome, {@code foundry_command_queue_depth} and {@code foundry_command_batch_size} by
 * kind. Meters are looked up once per kind and outcome and cached, so a command costs a map lookup
 * and an atomic add.
 */
final class RuntimeMeters implements RuntimeMetrics {
  private static final Duration[] LATENCY_BUCKETS = {
    Duration.ofMillis(5),
    Duration.ofMillis(10),
    Duration.ofMillis(25),
    Duration.ofMillis(50),
    Duration.ofMillis(100),
    Duration.ofMillis(250),
    Duration.ofMillis(500),
    Duration.ofSeconds(1),
    Duration.ofSeconds(5),
    Duration.ofSeconds(30)
  };

  private final MeterRegistry registry;
  private final Map<String, Timer> durations = new ConcurrentHashMap<>();
  private final Map<String, DistributionSummary> depths = new ConcurrentHashMap<>();
  private final Map<String, DistributionSummary> batches = new ConcurrentHashMap<>();

  RuntimeMeters(MeterRegistry registry) {
    this.registry = registry;
  }

  @Override
  public void commandArrived(String kind, int queued) {
    depths
        .computeIfAbsent(
            kind,
            k ->
                DistributionSummary.builder("foundry.command.queue.depth")
                    .description("commands already queued at the actor when a command arrives")
                    .tag("kind", k)
                    .serviceLevelObjectives(1, 5, 10, 50, 100, 1000)
                    .register(registry))
        .record(queued);
  }

  @Override
  public void commandFinished(String kind, String outcome, long millis) {
    durations
        .computeIfAbsent(
            kind + '\n' + outcome,
            k ->
                Timer.builder("foundry.command.duration")
                    .description("from a command's acceptance by its actor to its outcome")
                    .tag("kind", kind)
                    .tag("outcome", outcome)
                    .serviceLevelObjectives(LATENCY_BUCKETS)
                    .register(registry))
        .record(millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public void batchWritten(String kind, int commands) {
    batches
        .computeIfAbsent(
            kind,
            k ->
                DistributionSummary.builder("foundry.command.batch.size")
                    .description("batched commands written with one journal write")
                    .tag("kind", k)
                    .serviceLevelObjectives(1, 2, 5, 10, 50, 100, 500)
                    .register(registry))
        .record(commands);
  }
}
