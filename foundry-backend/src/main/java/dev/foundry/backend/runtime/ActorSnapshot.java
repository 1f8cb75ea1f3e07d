package dev.foundry.backend.runtime;

import com.fasterxml.jackson.annotation.JsonTypeName;
import java.util.List;

/**
 * A snapshot: the queue state at {@code seqNr}, which is also the position the actor's file has
 * applied when it is taken. Its size does not depend on the file's.
 *
 * <p>{@code database} is null in snapshots of this release. The previous release stored a
 * consistent copy of the whole SQLite file there (base64 in the JSON); such snapshots still restore
 * a lost file ({@link Recovery}). Whole-file copies are now backups, made off the actor's thread
 * ({@link ActorBackups}).
 */
@JsonTypeName("runtime.actor-snapshot")
public record ActorSnapshot(
    boolean created, long seqNr, List<RuntimeEvent.CommandAccepted> pending, byte[] database)
    implements Journaled {}
