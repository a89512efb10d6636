package io.pciefarm.reset;

import io.pciefarm.topology.PciFunction;

/**
 * Hears what the reset engine does, so events can be published without the engine knowing
 * about subscribers. Called on the thread that caused the change; must not block.
 *
 * <p>Every {@link #resetStarted} of a function is followed by exactly one {@link #resetFinished}
 * or {@link #resetFailed} of that reset.
 */
public interface ResetObserver {
  ResetObserver NONE = new ResetObserver() {};

  /** A reset of {@code f} began ({@code method} names how). */
  default void resetStarted(PciFunction f, ResetMethod method) {}

  /**
   * The reset of {@code f} that began with {@code method} completed: {@code f} became ready, or
   * a newer reset took over before it did.
   */
  default void resetFinished(PciFunction f, ResetMethod method) {}

  /**
   * The reset of {@code f} that began with {@code method} will not complete: the device never
   * becomes ready after it, the farm stopped waiting, or the card was pulled.
   *
   * @param reason why, for people
   */
  default void resetFailed(PciFunction f, ResetMethod method, String reason) {}

  /**
   * {@code f}'s post-reset readiness wait ended: it stops answering config requests with
   * Retry Status. Scheduled on the farm clock for the moment the wait ends.
   */
  default void ready(PciFunction f) {}

  /** The link below {@code port} went up or down. */
  default void linkChanged(PciFunction port, boolean up) {}
}
