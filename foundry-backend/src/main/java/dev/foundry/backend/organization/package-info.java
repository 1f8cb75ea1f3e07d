/**
 * The {@code organization} actor (spec §4) in both of its roles: the {@code app} instance (auth
 * routing indexes, the active organization of each session, dev sign-in) and real organizations
 * (profile, members, repository catalog, task index and task summaries, virtual tasks). It is the
 * only code that creates task actors, and only on a user's action: bulk paths write virtual task
 * summaries instead (spec §2, "Lazy Task Actor Creation"). The two roles are two handler groups:
 * {@code OrganizationActor} and {@code OrganizationTasks} for a real organization, {@code AppIndex}
 * for the app instance, each behind its guard.
 *
 * <p>May depend on {@code runtime}, {@code foundry-shared} and {@code protocol}: the task, user and
 * audit-log actors it coordinates are reached only through their protocols; never on HTTP.
 */
package dev.foundry.backend.organization;
