package io.pciefarm.hotplug;

/** How a port's hot-plug interrupt reached the host. */
public enum InterruptKind {
  MSI,
  MSIX,
  /** INTx asserted (Status bit 3 set) until the level falls. */
  INTX,
  /** The level rose but every delivery path is disabled or masked: nothing was sent. */
  SUPPRESSED
}
