package dev.foundry.backend.runtime;

import dev.foundry.migrations.MigrationSet;
import java.sql.Connection;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * What the runtime needs to know about one kind of actor: its {@link ActorType} (the name, also the
 * folder of its migrations, and the command hierarchy), its event hierarchy (sealed interfaces
 * whose records carry stable {@code @JsonTypeName}s), how to open its tables and how to build its
 * handlers.
 */
public final class ActorKind<
    C extends DurableCommand<?>, E extends DurableEvent, T extends ActorTables<E>> {
  private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{0,39}");

  private final ActorType<C> type;
  private final Class<E> eventType;
  private final Function<Connection, T> tables;
  private final Function<ActorSetup<T>, DurableActor<C, E, T>> factory;
  private volatile MigrationSet migrations;

  private ActorKind(
      ActorType<C> type,
      Class<E> eventType,
      Function<Connection, T> tables,
      Function<ActorSetup<T>, DurableActor<C, E, T>> factory) {
    this.type = type;
    this.eventType = eventType;
    this.tables = tables;
    this.factory = factory;
  }

  /**
   * Binds the implementation of {@code type}: its events, its tables and its handlers. Only the
   * actor itself and the place that starts the runtime use the result; callers address the actor
   * through {@code type}.
   */
  public static <C extends DurableCommand<?>, E extends DurableEvent, T extends ActorTables<E>>
      ActorKind<C, E, T> bind(
          ActorType<C> type,
          Class<E> eventType,
          Function<Connection, T> tables,
          Function<ActorSetup<T>, DurableActor<C, E, T>> factory) {
    return new ActorKind<>(type, eventType, tables, factory);
  }

  /**
   * Defines a kind and its type in one step, for an actor nobody else addresses (tests, tools).
   *
   * @param name lowercase, digits and dashes, e.g. {@code "task"}, {@code "audit-log"}
   */
  public static <C extends DurableCommand<?>, E extends DurableEvent, T extends ActorTables<E>>
      ActorKind<C, E, T> define(
          String name,
          Class<?> commandType,
          Class<E> eventType,
          Function<Connection, T> tables,
          Function<ActorSetup<T>, DurableActor<C, E, T>> factory) {
    return bind(ActorType.of(name, commandType), eventType, tables, factory);
  }

  static String requireValidName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "actor kind name must match " + NAME.pattern() + ", got: " + name);
    }
    return name;
  }

  public ActorType<C> type() {
    return type;
  }

  public String name() {
    return type.name();
  }

  /** The root of the kind's commands (usually a sealed interface, possibly generic). */
  public Class<?> commandType() {
    return type.commandType();
  }

  public Class<E> eventType() {
    return eventType;
  }

  T openTables(Connection connection) {
    return tables.apply(connection);
  }

  DurableActor<C, E, T> create(ActorSetup<T> setup) {
    return factory.apply(setup);
  }

  MigrationSet migrations() {
    MigrationSet set = migrations;
    if (set == null) {
      set = MigrationSet.load(name(), commandType().getClassLoader());
      migrations = set;
    }
    return set;
  }

  String persistenceId(ActorKey key) {
    return name() + "|" + key.canonical();
  }

  @Override
  public String toString() {
    return "ActorKind[" + name() + "]";
  }
}
