/**
 * The Pekko Persistence journal and snapshot store: pekko-persistence-jdbc on one SQLite file
 * ({@code ${foundry.data-dir}/journal/journal.db}), configured in {@code persistence.conf}. {@link
 * dev.foundry.backend.persistence.JournalDatabase} creates and migrates that file before the actor
 * system starts; the plugin creates no tables. See {@code docs/persistence.md}.
 */
package dev.foundry.backend.persistence;
