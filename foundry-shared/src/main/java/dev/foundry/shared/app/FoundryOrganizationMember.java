package dev.foundry.shared.app;

/** A member of an organization; {@code role} is owner, admin or member. */
public record FoundryOrganizationMember(
    String id, String name, String email, String role, String state) {}
