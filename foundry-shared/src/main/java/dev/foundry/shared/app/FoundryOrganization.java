package dev.foundry.shared.app;

import java.util.List;

/**
 * An organization as the app snapshot shows it ({@code FoundryOrganization}); {@code kind} is
 * personal or organization, {@code repoCatalog} the sorted repository labels.
 */
public record FoundryOrganization(
    String id,
    String organizationId,
    String kind,
    FoundryOrganizationSettings settings,
    FoundryGithubState github,
    FoundryBillingState billing,
    List<FoundryOrganizationMember> members,
    List<String> seatAssignments,
    List<String> repoCatalog) {}
