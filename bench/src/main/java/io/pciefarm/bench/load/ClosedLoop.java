package io.pciefarm.bench.load;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * K clients, each with one operation in flight: when an operation completes, its client issues
 * the next, until the run is stopped or the count budget is spent. No thread per client: a
 * step is asynchronous and reports completion through a callback, from whichever thread (the
 * gRPC event loop, usually). A step that completes on the thread that issued it is continued
 * by a loop there, not by recursion.
 */
public final class ClosedLoop {
  /** One asynchronous step of client {@code client}; must call {@code done} exactly once. */
  @FunctionalInterface
  public interface Step {
    void run(int client, Runnable done);
  }

  private static final int RUNNING = 0;
  private static final int DONE_INLINE = 1;
  private static final int RETURNED = 2;

  private final Step step;
  private final Slot[] slots;
  private final CountDownLatch finished;
  private final AtomicLong budget;
  private volatile boolean stop;
  private final AtomicLong inFlight = new AtomicLong();

  /**
   * @param budget operations allowed in total (across clients); Long.MAX_VALUE for no bound
   */
  public ClosedLoop(int clients, long budget, Step step) {
    this.step = step;
    this.slots = new Slot[clients];
    for (int i = 0; i < clients; i++) {
      slots[i] = new Slot(i);
    }
    this.finished = new CountDownLatch(clients);
    this.budget = new AtomicLong(budget);
  }

  public void start() {
    for (Slot s : slots) {
      issue(s);
    }
  }

  /** No client issues another operation; those in flight complete. */
  public void stop() {
    stop = true;
  }

  public boolean stopped() {
    return stop;
  }

  /** Replaces the budget, e.g. when the measured phase starts after an unbounded warm-up. */
  public void budget(long operations) {
    budget.set(operations);
  }

  /** True once the budget is spent (every client then stops). */
  public boolean budgetSpent() {
    return budget.get() <= 0;
  }

  /** Operations in flight now. */
  public long inFlight() {
    return inFlight.get();
  }

  /** Waits until every client has stopped and its last operation completed. */
  public boolean await(long timeout, TimeUnit unit) throws InterruptedException {
    return finished.await(timeout, unit);
  }

  private void issue(Slot s) {
    while (true) {
      if (stop || budget.getAndDecrement() <= 0) {
        finished.countDown();
        return;
      }
      s.state.set(RUNNING);
      inFlight.incrementAndGet();
      try {
        step.run(s.client, s.callback);
      } catch (RuntimeException e) {
        // a step that throws instead of reporting: count it as done and stop this client
        inFlight.decrementAndGet();
        finished.countDown();
        throw e;
      }
      if (s.state.compareAndSet(RUNNING, RETURNED)) {
        return; // the callback will come later, from another thread, and continue
      }
      // completed inline: continue here
    }
  }

  private final class Slot {
    final int client;
    final AtomicInteger state = new AtomicInteger(RETURNED);
    final Runnable callback;

    Slot(int client) {
      this.client = client;
      this.callback = () -> {
        inFlight.decrementAndGet();
        if (!state.compareAndSet(RUNNING, DONE_INLINE)) {
          issue(this); // the issuing call has returned: continue on this thread
        }
      };
    }
  }
}
