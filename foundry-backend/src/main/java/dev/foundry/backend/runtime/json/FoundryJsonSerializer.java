package dev.foundry.backend.runtime.json;

import java.io.IOException;
import java.io.NotSerializableException;
import java.io.UncheckedIOException;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Writes what the runtime persists as JSON with the stable type name as manifest. Bound to {@link
 * dev.foundry.backend.runtime.Journaled} in {@code runtime.conf}.
 */
public final class FoundryJsonSerializer extends SerializerWithStringManifest {
  /** Persisted with every row: never change it. */
  public static final int IDENTIFIER = 7741;

  private final ExtendedActorSystem system;
  private volatile JsonTypes types;

  public FoundryJsonSerializer(ExtendedActorSystem system) {
    this.system = system;
  }

  private JsonTypes types() {
    JsonTypes t = types;
    if (t == null) {
      t = JsonTypes.get(system);
      types = t;
    }
    return t;
  }

  @Override
  public int identifier() {
    return IDENTIFIER;
  }

  @Override
  public String manifest(Object o) {
    return types().nameOf(o.getClass());
  }

  @Override
  public byte[] toBinary(Object o) {
    try {
      return types().mapper().writeValueAsBytes(o);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot serialize " + o.getClass().getName(), e);
    }
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    Class<?> type;
    try {
      type = types().classOf(manifest);
    } catch (IllegalArgumentException e) {
      throw new NotSerializableException(e.getMessage());
    }
    try {
      return types().mapper().readValue(bytes, type);
    } catch (IOException e) {
      NotSerializableException failure =
          new NotSerializableException("cannot read '" + manifest + "': " + e.getMessage());
      failure.initCause(e);
      throw failure;
    }
  }
}
