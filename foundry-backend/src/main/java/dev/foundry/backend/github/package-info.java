/**
 * GitHub: one thin client on {@code java.net.http} ({@link
 * dev.foundry.backend.github.GitHubClient}) for the REST API (pagination, rate limits, ETags,
 * timeouts), the OAuth web flow's token exchange ({@link dev.foundry.backend.github.GitHubOAuth}),
 * the GitHub App's JWT and installation tokens ({@link dev.foundry.backend.github.GitHubAppAuth}),
 * the reads sign-in and membership sync make ({@link dev.foundry.backend.github.GitHubAccounts}),
 * membership sync ({@link dev.foundry.backend.github.GitHubMembershipSync}) and the sandboxes' git
 * credentials ({@link dev.foundry.backend.github.GitHubSandboxCredentials}).
 *
 * <p>May depend on {@code config}, {@code runtime}, the protocols, {@code user}'s {@code
 * GithubAccountStore} and {@code sandbox}'s {@code SandboxHost}; never on {@code http}.
 */
package dev.foundry.backend.github;
