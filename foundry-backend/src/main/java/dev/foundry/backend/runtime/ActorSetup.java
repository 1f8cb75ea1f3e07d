package dev.foundry.backend.runtime;

import java.util.concurrent.Executor;
import java.util.function.Supplier;
import org.slf4j.Logger;

/**
 * What an actor instance is given when it starts: its identity, its tables (opened on first use),
 * the runtime to call other actors, an executor for I/O callbacks, the realtime hub and a logger.
 */
public record ActorSetup<T>(
    String kind,
    ActorKey key,
    Supplier<T> tables,
    DurableRuntime runtime,
    Executor executor,
    RealtimeHub hub,
    Logger log) {}
