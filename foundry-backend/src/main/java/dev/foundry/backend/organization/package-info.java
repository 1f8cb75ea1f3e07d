/**
 * The {@code organization} actor (spec §4) in both of its roles: the {@code app} instance (auth
 * routing indexes, the active organization of each session, dev sign-in) and real organizations
 * (profile, members, repository catalog, task index and task summaries, virtual tasks, billing). It
 * is the only code that creates task actors, and only on a user's action: bulk paths write virtual
 * task summaries instead (spec §2, "Lazy Task Actor Creation"). The two roles are two handler
 * groups: {@code OrganizationActor}, {@code OrganizationTasks} and {@code OrganizationBilling} for
 * a real organization, {@code AppIndex} and {@code AppStripeEvents} (webhook event ids, the Stripe
 * lookup) for the app instance, each behind its guard.
 *
 * <p>May depend on {@code runtime}, {@code foundry-shared}, {@code protocol} and {@code billing}
 * (Stripe's API): the task, user and audit-log actors it coordinates are reached only through their
 * protocols; never on HTTP.
 */
package dev.foundry.backend.organization;
