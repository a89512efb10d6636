package io.pciefarm.reset;

import io.pciefarm.topology.PciFunction;

/**
 * Hears what the reset engine does, so events can be published without the engine knowing
 * about subscribers. Called on the thread that caused the change; must not block.
 */
public interface ResetObserver {
  ResetObserver NONE = new ResetObserver() {};

  /** A reset of {@code f} began ({@code method} names how). */
  default void resetStarted(PciFunction f, ResetMethod method) {}

  /** {@code f} became ready after a reset. */
  default void resetFinished(PciFunction f, ResetMethod method) {}

  /** The link below {@code port} went up or down. */
  default void linkChanged(PciFunction port, boolean up) {}
}
