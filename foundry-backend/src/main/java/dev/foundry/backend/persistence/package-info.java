/**
 * The Pekko Persistence journal and snapshot store: pekko-persistence-jdbc on one SQLite file
 * ({@code ${foundry.data-dir}/journal/journal.db}), configured in {@code persistence.conf}. {@link
 * dev.foundry.backend.persistence.JournalDatabase} creates and migrates that file before the actor
 * system starts; the plugin creates no tables. With {@code FOUNDRY_JOURNAL_URL} the journal is on
 * PostgreSQL instead ({@link dev.foundry.backend.persistence.PostgresJournal}), and actor backups
 * are stored there too ({@link dev.foundry.backend.persistence.SharedBackups}). See {@code
 * docs/persistence.md}.
 */
package dev.foundry.backend.persistence;
