package io.pciefarm.time;

/**
 * Monotonic time plus a scheduler. Implementations run scheduled tasks in due-time order
 * (tasks due at the same time in submission order); a task must not block.
 */
public interface FarmClock {
  /** Monotonic nanoseconds; only differences are meaningful. */
  long nanoTime();

  /**
   * Runs {@code task} once {@code delayNanos} have passed (at once, on the calling thread's
   * behalf or the scheduler's, for a delay of 0 or less).
   *
   * @return a handle that cancels the task if it has not started
   */
  Cancellable schedule(long delayNanos, Runnable task);

  /** A scheduled task that can be withdrawn. */
  @FunctionalInterface
  interface Cancellable {
    /** @return true if the task will not run because of this call */
    boolean cancel();
  }
}
