package io.pciefarm.time;

import java.time.Duration;
import java.util.PriorityQueue;

/**
 * A clock that moves only when told to: tests advance it and due tasks run on the advancing
 * thread, in due-time order. Tasks scheduled with no delay run at once. Thread-safe.
 */
public final class ManualClock implements FarmClock {
  private final PriorityQueue<Task> queue = new PriorityQueue<>();
  private long now;
  private long submitted;

  private static final class Task implements Comparable<Task> {
    final long due;
    final long order;
    final Runnable body;
    boolean cancelled;

    Task(long due, long order, Runnable body) {
      this.due = due;
      this.order = order;
      this.body = body;
    }

    @Override
    public int compareTo(Task o) {
      int c = Long.compare(due, o.due);
      return c != 0 ? c : Long.compare(order, o.order);
    }
  }

  @Override
  public synchronized long nanoTime() {
    return now;
  }

  @Override
  public Cancellable schedule(long delayNanos, Runnable task) {
    if (delayNanos <= 0) {
      task.run();
      return () -> false;
    }
    Task t;
    synchronized (this) {
      t = new Task(now + delayNanos, submitted++, task);
      queue.add(t);
    }
    return () -> {
      synchronized (this) {
        boolean was = !t.cancelled && queue.remove(t);
        t.cancelled = true;
        return was;
      }
    };
  }

  /** Moves time forward, running every task that falls due, including ones they schedule. */
  public void advance(Duration d) {
    long target;
    synchronized (this) {
      target = now + d.toNanos();
    }
    while (true) {
      Task next;
      synchronized (this) {
        next = queue.peek();
        if (next == null || next.due > target) {
          now = target;
          return;
        }
        queue.poll();
        now = Math.max(now, next.due);
      }
      next.body.run();
    }
  }

  /** Runs everything scheduled, however far ahead: "wait for all of it". */
  public void runAll() {
    while (true) {
      Task next;
      synchronized (this) {
        next = queue.peek();
      }
      if (next == null) {
        return;
      }
      advance(Duration.ofNanos(Math.max(0, next.due - nanoTime())));
    }
  }

  public synchronized int pending() {
    return queue.size();
  }
}
