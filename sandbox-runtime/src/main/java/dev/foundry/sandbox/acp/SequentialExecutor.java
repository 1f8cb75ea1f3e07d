package dev.foundry.sandbox.acp;

import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs tasks one after another, in submission order, on a delegate executor. Events of one ACP
 * stream must reach listeners in the order the agent wrote them (a turn's last chunk before its
 * stop reason), while the delegate may be a multi-threaded pool shared with the rest of the
 * backend.
 */
public final class SequentialExecutor implements Executor {

  private static final Logger log = LoggerFactory.getLogger(SequentialExecutor.class);

  private final Executor delegate;
  private final Queue<Runnable> queue = new ArrayDeque<>();
  private boolean running;

  public SequentialExecutor(Executor delegate) {
    this.delegate = delegate;
  }

  @Override
  public void execute(Runnable task) {
    synchronized (queue) {
      queue.add(task);
      if (running) {
        return;
      }
      running = true;
    }
    delegate.execute(this::drain);
  }

  private void drain() {
    while (true) {
      Runnable next;
      synchronized (queue) {
        next = queue.poll();
        if (next == null) {
          running = false;
          return;
        }
      }
      try {
        next.run();
      } catch (RuntimeException e) {
        // One failing listener must not stop the delivery of later events.
        log.warn("task on sequential executor failed", e);
      }
    }
  }
}
