/**
 * SQL migrations, one ordered set per actor kind, and the {@link dev.foundry.migrations.Migrator}
 * that brings one SQLite file up to date. Depends on nothing but JDBC: the backend opens the
 * connection and decides its pragmas.
 *
 * <p>Layout: {@code db/migrations/<kind>/index} lists the kind's migration files in order, one per
 * line; each file is plain SQL statements separated by {@code ;} at line ends. The position in the
 * index is the schema version stored in {@code PRAGMA user_version}.
 *
 * <p>The one set that targets PostgreSQL, {@code journal-postgres} (the journal, snapshots and
 * actor backups in a shared store), is applied by {@link dev.foundry.migrations.PostgresMigrator},
 * which keeps the version in a table and serializes concurrent starts with an advisory lock.
 */
package dev.foundry.migrations;
