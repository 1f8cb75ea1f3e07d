package dev.foundry.backend.runtime;

/**
 * What a caller needs to address a kind of actor: its persisted name and the root of its commands.
 * It mirrors Pekko's {@code EntityTypeKey}: a protocol declares the type, and the actor binds its
 * implementation to it ({@link ActorKind#bind}), so callers never import the implementation.
 *
 * @param name persisted (journal ids, file paths, migration folder): never rename it
 * @param commandType the root of the kind's commands (usually a sealed interface, possibly generic)
 */
public record ActorType<C extends DurableCommand<?>>(String name, Class<?> commandType) {
  public ActorType {
    ActorKind.requireValidName(name);
    if (!DurableCommand.class.isAssignableFrom(commandType)) {
      throw new IllegalArgumentException(commandType.getName() + " is not a DurableCommand");
    }
  }

  /**
   * A type named {@code name} whose commands implement {@code commandType}; written without the
   * type argument when the command root is generic ({@code Command.class} for {@code Command<R>}).
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static <C extends DurableCommand<?>> ActorType<C> of(String name, Class commandType) {
    return new ActorType<>(name, commandType);
  }

  @Override
  public String toString() {
    return "ActorType[" + name + "]";
  }
}
