/**
 * The wire contract between the backend and its clients: records for snapshots, summaries, details
 * and realtime events, named as upstream Foundry names them ({@code foundry/packages/shared}).
 *
 * <p>Jackson annotations only; no Pekko and nothing of the backend may be used here.
 */
package dev.foundry.shared;
