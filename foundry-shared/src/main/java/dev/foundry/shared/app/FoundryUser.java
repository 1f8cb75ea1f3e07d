package dev.foundry.shared.app;

import java.util.List;

/** The signed-in user as the app snapshot shows them ({@code FoundryUser}). */
public record FoundryUser(
    String id,
    String name,
    String email,
    String githubLogin,
    String roleLabel,
    List<String> eligibleOrganizationIds,
    String defaultModel) {}
