package dev.foundry.shared.sandbox;

/** {@code type}: A (added or untracked), M or D; line counts null for binary files. */
public record FileChange(String path, String type, Integer added, Integer removed) {}
