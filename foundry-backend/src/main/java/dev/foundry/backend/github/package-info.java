/**
 * GitHub: one thin client on {@code java.net.http} ({@link
 * dev.foundry.backend.github.GitHubClient}) for the REST API (pagination, rate limits, ETags,
 * timeouts), the OAuth web flow's token exchange ({@link dev.foundry.backend.github.GitHubOAuth}),
 * the GitHub App's JWT and installation tokens ({@link dev.foundry.backend.github.GitHubAppAuth}),
 * and the reads sign-in and membership sync make ({@link
 * dev.foundry.backend.github.GitHubAccounts}).
 *
 * <p>May depend on {@code config}; never on actors or routes.
 */
package dev.foundry.backend.github;
