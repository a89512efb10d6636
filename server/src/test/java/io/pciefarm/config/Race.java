package io.pciefarm.config;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;

/**
 * Runs racing workers, bounded both in iterations (each worker's own loop) and in time: a
 * worker asks {@link #going} before each iteration and stops at its iteration cap or at the
 * deadline, whichever comes first. All workers are released at once; the first failure of any
 * of them fails the test, and a worker that does not stop in time is reported as hung.
 */
final class Race {
  /** One worker: {@code index} tells it which part of the race it runs. */
  @FunctionalInterface
  interface Worker {
    void run(int index) throws Exception;
  }

  private final long deadline;

  Race(long millis) {
    deadline = System.nanoTime() + millis * 1_000_000L;
  }

  /** True while iteration {@code i} is below {@code max} and the deadline has not passed. */
  boolean going(long i, long max) {
    return i < max && ((i & 127) != 0 || System.nanoTime() < deadline);
  }

  boolean expired() {
    return System.nanoTime() >= deadline;
  }

  void run(int workers, Worker worker) throws InterruptedException {
    Worker[] all = new Worker[workers];
    java.util.Arrays.fill(all, worker);
    run(all);
  }

  void run(Worker... workers) throws InterruptedException {
    ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
    CountDownLatch ready = new CountDownLatch(workers.length);
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < workers.length; i++) {
      int index = i;
      Worker w = workers[i];
      Thread t = new Thread(() -> {
        ready.countDown();
        try {
          go.await();
          w.run(index);
        } catch (Throwable e) {
          failures.add(e);
        }
      }, "race-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    ready.await();
    go.countDown();
    long joinBy = deadline + 30_000_000_000L;
    for (Thread t : threads) {
      long left = Math.max(1, (joinBy - System.nanoTime()) / 1_000_000L);
      t.join(left);
      if (t.isAlive()) {
        for (Thread u : threads) {
          u.interrupt();
        }
        fail(t.getName() + " did not stop 30 s after the deadline", failures.peek());
      }
    }
    Throwable first = failures.poll();
    if (first != null) {
      for (Throwable more : failures) {
        first.addSuppressed(more);
      }
      if (first instanceof Error e) {
        throw e;
      }
      throw new AssertionError(first);
    }
  }
}
