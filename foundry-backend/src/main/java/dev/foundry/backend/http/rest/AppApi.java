package dev.foundry.backend.http.rest;

import dev.foundry.backend.http.rest.RequestBodies.SelectOrganization;
import dev.foundry.backend.http.rest.RequestBodies.SetDefaultModel;
import dev.foundry.backend.organization.AppSnapshots;
import dev.foundry.backend.organization.OrganizationIds;
import dev.foundry.backend.protocol.OrganizationProtocol;
import dev.foundry.backend.protocol.UserProtocol;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.shared.app.FoundryAppSnapshot;
import java.util.concurrent.CompletionStage;

/** {@code /v1/app*}: the signed-in user's app snapshot and their per-user app state. */
final class AppApi {
  private final DurableRuntime runtime;

  AppApi(DurableRuntime runtime) {
    this.runtime = runtime;
  }

  CompletionStage<FoundryAppSnapshot> snapshot(Call call) {
    return AppSnapshots.snapshotForUser(
        runtime, call.userId(), call.session().activeOrganizationId());
  }

  /** The app instance checks that the organization is one of the user's (403 otherwise). */
  CompletionStage<FoundryAppSnapshot> selectOrganization(Call call) {
    String organizationId = call.body(SelectOrganization.class).organizationId();
    return runtime
        .getOrCreate(OrganizationProtocol.TYPE, OrganizationProtocol.key(OrganizationIds.APP))
        .ask(new OrganizationProtocol.SelectOrganization(call.user().sessionId(), organizationId))
        .thenCompose(selected -> AppSnapshots.snapshotForUser(runtime, call.userId(), selected));
  }

  CompletionStage<FoundryAppSnapshot> setDefaultModel(Call call) {
    String model = call.body(SetDefaultModel.class).model();
    return runtime
        .get(UserProtocol.TYPE, UserProtocol.key(call.userId()))
        .ask(new UserProtocol.SetDefaultModel(model))
        .thenCompose(
            user ->
                AppSnapshots.snapshotForUser(
                    runtime, call.userId(), call.session().activeOrganizationId()));
  }
}
