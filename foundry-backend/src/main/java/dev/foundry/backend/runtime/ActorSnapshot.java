package dev.foundry.backend.runtime;

import com.fasterxml.jackson.annotation.JsonTypeName;
import java.util.List;

/**
 * A snapshot: the queue state plus a consistent copy of the actor's SQLite file, so the journal up
 * to {@code seqNr} can be deleted and the file rebuilt when it is lost or behind.
 */
@JsonTypeName("runtime.actor-snapshot")
public record ActorSnapshot(
    boolean created, long seqNr, List<RuntimeEvent.CommandAccepted> pending, byte[] database)
    implements Journaled {}
