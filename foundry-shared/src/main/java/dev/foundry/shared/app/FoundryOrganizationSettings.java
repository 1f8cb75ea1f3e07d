package dev.foundry.shared.app;

/** An organization's editable profile. */
public record FoundryOrganizationSettings(
    String displayName,
    String slug,
    String primaryDomain,
    String seatAccrualMode,
    boolean autoImportRepos) {}
