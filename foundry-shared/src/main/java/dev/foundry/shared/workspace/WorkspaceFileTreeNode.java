package dev.foundry.shared.workspace;

import java.util.List;

/** A node of a task's file tree. */
public record WorkspaceFileTreeNode(
    String name, String path, boolean isDir, List<WorkspaceFileTreeNode> children) {}
