package dev.foundry.backend.runtime;

/**
 * What the runtime reports about the commands it runs, for an operator's dashboards. The runtime
 * depends on no metrics library: the process gives it an implementation at start ({@code
 * dev.foundry.backend.metrics} records to Micrometer). Called on actor threads, once or twice per
 * command: implementations must be cheap and must not block.
 */
public interface RuntimeMetrics {
  /** Records nothing: tests, benchmarks and tools that start a runtime without metrics. */
  RuntimeMetrics NONE = new RuntimeMetrics() {};

  /**
   * A command of {@code kind} reached its actor while {@code queued} commands were waiting there
   * ahead of it (0 on the fast path). Its distribution is the queue depth an operator watches.
   */
  default void commandArrived(String kind, int queued) {}

  /**
   * A command of {@code kind} finished with {@code outcome} ({@code succeeded}, {@code rejected} or
   * {@code failed}) {@code millis} after its actor accepted it; a queued command's time includes
   * its wait in the queue, and across a restart the downtime.
   */
  default void commandFinished(String kind, String outcome, long millis) {}

  /**
   * An actor of {@code kind} wrote a batch of {@code commands} batched commands (a batch handler's
   * class) with one journal write; its distribution tells how far batching keeps the actor up.
   */
  default void batchWritten(String kind, int commands) {}
}
