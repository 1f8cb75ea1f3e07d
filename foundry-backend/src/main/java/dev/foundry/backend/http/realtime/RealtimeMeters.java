package dev.foundry.backend.http.realtime;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicInteger;

/** The realtime endpoint's meters, shared by all its connections. */
final class RealtimeMeters {
  final AtomicInteger connections = new AtomicInteger();
  final AtomicInteger subscriptions = new AtomicInteger();
  final Counter slowClientsDropped;

  RealtimeMeters(MeterRegistry registry) {
    Gauge.builder("foundry.realtime.connections", connections, AtomicInteger::get)
        .description("open realtime WebSocket connections")
        .register(registry);
    Gauge.builder("foundry.realtime.subscriptions", subscriptions, AtomicInteger::get)
        .description("topic subscriptions of all open realtime connections")
        .register(registry);
    slowClientsDropped =
        Counter.builder("foundry.realtime.slow.clients.dropped")
            .description("connections closed because their client let the outgoing buffer fill")
            .register(registry);
  }
}
