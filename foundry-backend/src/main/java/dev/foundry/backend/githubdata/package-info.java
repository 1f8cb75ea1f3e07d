/**
 * The github-data actor (spec §7): one organization's cache of GitHub — repositories, members and
 * pull requests — filled by a full sync in phases and kept current by webhooks. It tells the
 * organization about progress and pull-request changes and never creates task actors. Talks to
 * other actors only through {@code protocol}; never imports {@code http}.
 */
package dev.foundry.backend.githubdata;
