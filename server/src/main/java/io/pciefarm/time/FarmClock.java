package io.pciefarm.time;

/**
 * Monotonic time plus a scheduler. Implementations run scheduled tasks in due-time order
 * (tasks due at the same time in submission order); a task must not block.
 */
public interface FarmClock {
  /** Monotonic nanoseconds; only differences are meaningful. */
  long nanoTime();

  /**
   * Runs {@code task} once {@code delayNanos} have passed; a delay of 0 or less runs it at once
   * on the calling thread, before this method returns.
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
