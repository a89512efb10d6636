package io.pciefarm.time;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real time: {@link System#nanoTime()} and one daemon scheduler thread. Tasks are short
 * (flip a state, publish an event, start the next step), so one thread serves every pending
 * delay of the farm, however many resets are in flight.
 */
public final class SystemFarmClock implements FarmClock, AutoCloseable {
  private static final AtomicInteger INSTANCES = new AtomicInteger();
  private final ScheduledThreadPoolExecutor scheduler;

  public SystemFarmClock() {
    int n = INSTANCES.incrementAndGet();
    scheduler = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "pciefarm-clock-" + n);
      t.setDaemon(true);
      return t;
    });
    scheduler.setRemoveOnCancelPolicy(true);
  }

  @Override
  public long nanoTime() {
    return System.nanoTime();
  }

  @Override
  public Cancellable schedule(long delayNanos, Runnable task) {
    if (delayNanos <= 0) {
      // At time scale 0 every delay is 0: "instant" must mean done when the caller returns,
      // as with the manual clock, or a step that gives up at once would race its own settle.
      task.run();
      return () -> false;
    }
    ScheduledFuture<?> f = scheduler.schedule(task, Math.max(0, delayNanos),
        TimeUnit.NANOSECONDS);
    return () -> f.cancel(false);
  }

  /** Tasks waiting to run: for consistency checks after load tests. */
  public int pending() {
    return scheduler.getQueue().size();
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
