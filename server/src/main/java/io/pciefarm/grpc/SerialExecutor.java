package io.pciefarm.grpc;

import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs tasks one at a time, in submission order, on a shared executor: a serializing view of a
 * pool, as Guava's sequential executor is. Any thread may submit; submitting never blocks and
 * never runs the task on the submitting thread.
 */
final class SerialExecutor implements Executor {
  private static final Logger LOG = Logger.getLogger(SerialExecutor.class.getName());

  private final Executor delegate;
  private final Queue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean scheduled = new AtomicBoolean();

  SerialExecutor(Executor delegate) {
    this.delegate = delegate;
  }

  /**
   * @throws java.util.concurrent.RejectedExecutionException when the pool refuses the task (it
   *     is shutting down); the task is dropped then
   */
  @Override
  public void execute(Runnable task) {
    tasks.add(task);
    schedule();
  }

  private void schedule() {
    if (scheduled.compareAndSet(false, true)) {
      try {
        delegate.execute(this::runAll);
      } catch (RuntimeException e) {
        tasks.clear();
        scheduled.set(false);
        throw e;
      }
    }
  }

  /** Tasks one turn runs before it yields the pool thread to other serial executors. */
  private static final int TURN = 64;

  private void runAll() {
    try {
      int n = 0;
      for (Runnable t = n++ < TURN ? tasks.poll() : null; t != null;
          t = n++ < TURN ? tasks.poll() : null) {
        try {
          t.run();
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "a serialized task failed", e);
        }
      }
    } finally {
      scheduled.set(false);
    }
    // Left over from a full turn, or added after the last poll while the flag was still set.
    if (!tasks.isEmpty()) {
      try {
        schedule();
      } catch (RuntimeException e) {
        LOG.log(Level.FINE, "serialized tasks dropped: the pool is shutting down", e);
      }
    }
  }
}
