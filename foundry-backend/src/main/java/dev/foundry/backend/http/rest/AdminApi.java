package dev.foundry.backend.http.rest;

import static dev.foundry.backend.http.rest.Endpoint.get;
import static dev.foundry.backend.http.rest.Endpoint.post;

import com.typesafe.config.Config;
import dev.foundry.backend.http.ApiException;
import dev.foundry.backend.persistence.JournalDatabase;
import dev.foundry.backend.protocol.AuditLogProtocol;
import dev.foundry.backend.runtime.ActorInspection;
import dev.foundry.backend.runtime.ClusterView;
import dev.foundry.backend.runtime.DurableRef;
import dev.foundry.backend.runtime.DurableRuntime;
import dev.foundry.backend.runtime.RuntimeInspector;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.StatusCodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operator's inspector ({@code /v1/admin/...}), served only when {@code FOUNDRY_ADMIN_TOKEN} is
 * set and answering only {@code Authorization: Bearer <that token>} (compared in constant time).
 * Everything here reads, except retrying or discarding a failed command; each of those is logged
 * and, for an actor of an organization, recorded in that organization's audit log.
 */
final class AdminApi {
  private static final Logger log = LoggerFactory.getLogger(AdminApi.class);
  static final String ADMIN = "/v1/admin";

  /** Rows shown per table of an inspected actor. */
  static final int ROW_LIMIT = 50;

  /** The kinds and how many actors each has. */
  record KindSummary(String kind, int actors, int active) {}

  /** The answer of a retry or a discard. */
  record FailureAction(String kind, String key, String commandId, String action, String retryId) {}

  private final RuntimeInspector inspector;
  private final DurableRuntime runtime;
  private final byte[] token;
  private final Config config;

  AdminApi(DurableRuntime runtime, String token) {
    this.runtime = runtime;
    this.inspector = runtime.inspector();
    this.token = token.getBytes(StandardCharsets.UTF_8);
    this.config = runtime.system().settings().config();
  }

  List<Endpoint> endpoints() {
    return List.of(
        get(ADMIN + "/actors", "listActorKinds", "Operators: the actor kinds, with counts")
            .tag("admin")
            .publicAccess()
            .returnsListOf(KindSummary.class)
            .handle(this::kinds),
        get(
                ADMIN + "/cluster",
                "getCluster",
                "Operators: the cluster's members as this node sees them, and its running actors")
            .tag("admin")
            .publicAccess()
            .returns(ClusterView.class)
            .handle(this::cluster),
        get(ADMIN + "/actors/{kind}", "listActors", "Operators: the actors of one kind")
            .tag("admin")
            .publicAccess()
            .returnsListOf(RuntimeInspector.ActorSummary.class)
            .handle(this::actors),
        get(
                ADMIN + "/actors/{kind}/inspection",
                "inspectActor",
                "Operators: one actor's queue, failed commands, outbox and tables (read only)")
            .tag("admin")
            .publicAccess()
            .queryParameter("key", "string", "the actor's canonical key (required)")
            .returns(ActorInspection.class)
            .handle(this::inspect),
        get(
                ADMIN + "/actors/{kind}/journal",
                "listActorJournal",
                "Operators: one actor's newest journal events, newest first")
            .tag("admin")
            .publicAccess()
            .queryParameter("key", "string", "the actor's canonical key (required)")
            .queryParameter("limit", "integer", "1-200, default 20")
            .returnsListOf(JournalDatabase.JournalEntry.class)
            .handle(this::journal),
        post(
                ADMIN + "/actors/{kind}/failed-commands/{commandId}/retry",
                "retryFailedCommand",
                "Operators: send a failed command again under a new id (audited)")
            .tag("admin")
            .publicAccess()
            .queryParameter("key", "string", "the actor's canonical key (required)")
            .returns(FailureAction.class)
            .handle(call -> act(call, true)),
        post(
                ADMIN + "/actors/{kind}/failed-commands/{commandId}/discard",
                "discardFailedCommand",
                "Operators: remove a failed command from the actor's failures (audited)")
            .tag("admin")
            .publicAccess()
            .queryParameter("key", "string", "the actor's canonical key (required)")
            .returns(FailureAction.class)
            .handle(call -> act(call, false)));
  }

  private CompletionStage<?> kinds(Call call) {
    authorize(call);
    List<CompletableFuture<KindSummary>> each = new ArrayList<>();
    for (String kind : inspector.kinds()) {
      each.add(
          inspector
              .actors(kind)
              .thenApply(
                  list ->
                      new KindSummary(
                          kind,
                          list.size(),
                          (int)
                              list.stream().filter(RuntimeInspector.ActorSummary::active).count()))
              .toCompletableFuture());
    }
    return CompletableFuture.allOf(each.toArray(new CompletableFuture[0]))
        .thenApply(done -> each.stream().map(CompletableFuture::join).toList());
  }

  private CompletionStage<?> cluster(Call call) {
    authorize(call);
    return runtime.clusterView();
  }

  private CompletionStage<?> actors(Call call) {
    authorize(call);
    return inspector.actors(kind(call));
  }

  private CompletionStage<?> inspect(Call call) {
    authorize(call);
    return actor(call).thenCompose(ref -> ref.inspect(ROW_LIMIT));
  }

  private CompletionStage<?> journal(Call call) {
    authorize(call);
    int limit = limit(call);
    return actor(call)
        .thenApplyAsync(
            ref -> {
              try {
                return JournalDatabase.recentEntries(
                    config, inspector.persistenceId(kind(call), key(call)), limit);
              } catch (SQLException e) {
                throw new CompletionException(e);
              }
            },
            runtime.system().executionContext());
  }

  private static int limit(Call call) {
    String raw = call.query("limit").orElse("20");
    try {
      int limit = Integer.parseInt(raw);
      if (limit >= 1 && limit <= 200) {
        return limit;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiErrors.badRequest("invalid_parameter", "limit is 1-200");
  }

  private CompletionStage<?> act(Call call, boolean retry) {
    authorize(call);
    String kind = kind(call);
    String key = key(call);
    String commandId = call.path("commandId");
    return actor(call)
        .thenCompose(
            ref ->
                retry
                    ? inspector.retry(ref, commandId).thenApply(id -> id.orElse(null))
                    : ref.discardFailure(commandId).thenApply(removed -> removed ? "" : null))
        .thenApply(
            outcome -> {
              if (outcome == null) {
                throw new ApiException(
                    StatusCodes.NOT_FOUND,
                    "failed_command_not_found",
                    "actor " + kind + " " + key + " has no failed command " + commandId);
              }
              String action = retry ? "retried" : "discarded";
              String retryId = outcome.isEmpty() ? null : outcome;
              audit(kind, key, commandId, action, retryId);
              return new FailureAction(kind, key, commandId, action, retryId);
            });
  }

  /** Logged always; recorded in the organization's audit log when the actor belongs to one. */
  private void audit(String kind, String key, String commandId, String action, String retryId) {
    log.info(
        "admin: failed command {} of {} {} {}{}",
        commandId,
        kind,
        key,
        action,
        retryId == null ? "" : " as " + retryId);
    String[] segments = key.split("/");
    if (segments.length >= 2 && segments[0].equals("org")) {
      Map<String, Object> payload = new java.util.LinkedHashMap<>();
      payload.put("actorKind", kind);
      payload.put("actorKey", key);
      payload.put("commandId", commandId);
      if (retryId != null) {
        payload.put("retryCommandId", retryId);
      }
      AuditLogProtocol.record(
          runtime,
          segments[1].replace("%2F", "/").replace("%25", "%"),
          new AuditLogProtocol.Append(
              "admin.failed_command_" + action,
              null,
              null,
              null,
              payload,
              "admin-" + action + "-" + commandId));
    }
  }

  private CompletionStage<DurableRef<?>> actor(Call call) {
    String kind = kind(call);
    String key = key(call);
    return inspector
        .actor(kind, key)
        .thenApply(
            ref ->
                ref.orElseThrow(
                    () ->
                        new ApiException(
                            StatusCodes.NOT_FOUND,
                            "actor_not_found",
                            "no actor " + kind + " with key " + key)));
  }

  private String kind(Call call) {
    String kind = call.path("kind");
    if (!inspector.hasKind(kind)) {
      throw new ApiException(StatusCodes.NOT_FOUND, "not_found", "no actor kind " + kind);
    }
    return kind;
  }

  private static String key(Call call) {
    String key = call.query("key").orElse("");
    if (key.isBlank()) {
      throw ApiErrors.badRequest("missing_parameter", "the query parameter 'key' is required");
    }
    return key;
  }

  /** A wrong or missing token is a 401, whatever route it asked for. */
  private void authorize(Call call) {
    String header =
        call.request().getHeader("Authorization").map(HttpHeader::value).orElse("").strip();
    String given =
        header.regionMatches(true, 0, "Bearer ", 0, 7) ? header.substring(7).strip() : "";
    if (!MessageDigest.isEqual(token, given.getBytes(StandardCharsets.UTF_8))) {
      throw new ApiException(
          StatusCodes.UNAUTHORIZED,
          "unauthorized",
          "the inspector needs Authorization: Bearer <FOUNDRY_ADMIN_TOKEN>");
    }
  }
}
