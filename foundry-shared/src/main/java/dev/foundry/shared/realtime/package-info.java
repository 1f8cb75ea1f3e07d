/** The full-replacement realtime payloads of {@code realtime-events.ts}. */
package dev.foundry.shared.realtime;
