package dev.foundry.backend.runtime;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * What an operator sees of the cluster from one node: the members and their status as this node
 * knows them, the members it cannot reach, and the actor instances running here.
 *
 * @param clustered false on the single-node default (then {@code self} is "local" and there are no
 *     members)
 */
public record ClusterView(
    boolean clustered,
    String self,
    List<MemberView> members,
    List<String> unreachable,
    List<String> actors) {

  public record MemberView(String address, String status) {}

  static CompletionStage<ClusterView> of(DurableRuntime runtime) {
    if (!runtime.clustered()) {
      return runtime
          .activeIds()
          .thenApply(ids -> new ClusterView(false, "local", List.of(), List.of(), ids));
    }
    Cluster cluster = Cluster.get(runtime.system());
    ClusterEvent.CurrentClusterState state = cluster.state();
    List<MemberView> members = new ArrayList<>();
    for (Member m : state.getMembers()) {
      members.add(new MemberView(m.address().toString(), m.status().toString()));
    }
    List<String> unreachable = new ArrayList<>();
    for (Member m : state.getUnreachable()) {
      unreachable.add(m.address().toString());
    }
    String self = cluster.selfMember().address().toString();
    return runtime
        .activeIds()
        .thenApply(ids -> new ClusterView(true, self, members, unreachable, ids))
        .exceptionally(
            failure -> {
              // The shard regions may not answer while this node joins or leaves.
              return new ClusterView(true, self, members, unreachable, List.of());
            });
  }
}
