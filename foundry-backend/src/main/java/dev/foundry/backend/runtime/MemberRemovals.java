package dev.foundry.backend.runtime;

import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;

/** Cluster mode: runs an action each time a member is removed from the cluster. */
final class MemberRemovals {
  private MemberRemovals() {}

  static Behavior<ClusterEvent.MemberRemoved> wakeOnRemoval(Runnable action) {
    return Behaviors.setup(
        context -> {
          Cluster.get(context.getSystem())
              .subscriptions()
              .tell(Subscribe.create(context.getSelf(), ClusterEvent.MemberRemoved.class));
          return Behaviors.receiveMessage(
              removed -> {
                context
                    .getLog()
                    .info(
                        "cluster: {} removed; waking actors with pending work",
                        removed.member().address());
                try {
                  action.run();
                } catch (RuntimeException e) {
                  context.getLog().warn("cannot wake actors with pending work", e);
                }
                return Behaviors.same();
              });
        });
  }
}
