package dev.foundry.shared.app;

/** One invoice; {@code issuedAt} is YYYY-MM-DD, {@code status} paid or open. */
public record FoundryInvoice(
    String id, String label, String issuedAt, long amountUsd, String status) {}
