/**
 * The realtime contract: topic and event names ({@link dev.foundry.shared.realtime.RealtimeEvents})
 * and the one increment payload that is not a snapshot shape ({@link
 * dev.foundry.shared.realtime.TranscriptUpdated}).
 */
package dev.foundry.shared.realtime;
