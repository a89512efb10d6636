package io.pciefarm.reset;

import io.pciefarm.topology.PciFunction;
import io.pciefarm.topology.PciFunction.ResetInProgress;

/**
 * Hears what the reset engine does, so events can be published without the engine knowing
 * about subscribers. Called on the thread that caused the change; must not block.
 *
 * <p>Every {@link #resetStarted} of a reset is followed by exactly one {@link #resetFinished}
 * or {@link #resetFailed} of that reset, and {@link #ready} at most once. The reports about one
 * function are made while the engine holds that function's lock, in the order its resets
 * change state: an end never comes before its start, and READY of a reset never after a newer
 * reset of the function started. An observer must not reset functions from these callbacks.
 */
public interface ResetObserver {
  ResetObserver NONE = new ResetObserver() {};

  /** {@code reset} began ({@link ResetInProgress#method} names how). */
  default void resetStarted(ResetInProgress reset) {}

  /**
   * {@code reset} completed: its function became ready, or a newer reset took over before it
   * did.
   */
  default void resetFinished(ResetInProgress reset) {}

  /**
   * {@code reset} will not complete: the device never becomes ready after it, the request that
   * started it stopped waiting, or the card was pulled.
   *
   * @param reason why, for people
   */
  default void resetFailed(ResetInProgress reset, String reason) {}

  /**
   * The post-reset readiness wait of {@code reset} ended: its function stops answering config
   * requests with Retry Status. Scheduled on the farm clock for the moment the wait ends; only
   * for the function's latest reset, and even when that reset failed (the device came back
   * after the requester stopped waiting).
   */
  default void ready(ResetInProgress reset) {}

  /** The link below {@code port} went up or down. */
  default void linkChanged(PciFunction port, boolean up) {}
}
