package dev.foundry.shared.contracts;

/** One entry of an organization's audit log ({@code AuditLogEvent}). */
public record AuditLogEvent(
    long id,
    String organizationId,
    String repoId,
    String taskId,
    String branchName,
    String kind,
    String payloadJson,
    long createdAt) {}
