/** Records of {@code contracts.ts}: task records, repositories, audit-log entries. */
package dev.foundry.shared.contracts;
