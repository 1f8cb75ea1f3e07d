/**
 * Loading and validating configuration: HOCON files with environment overrides, turned into typed
 * settings at start so a missing secret fails before anything listens. Depends on nothing else in
 * the backend.
 */
package dev.foundry.backend.config;
