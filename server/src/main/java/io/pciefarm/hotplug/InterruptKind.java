package io.pciefarm.hotplug;

/** How a port's hot-plug interrupt reached the host. */
public enum InterruptKind {
  MSI,
  MSIX,
  /**
   * INTx asserted, until the level falls or Interrupt Disable is set; also when Interrupt
   * Disable is cleared, or MSI turned off, while the level is high.
   */
  INTX,
  /**
   * The level rose but nothing was sent: INTx disabled (Interrupt Status is set all the same),
   * Bus Master Enable clear, or the vector masked. A masked vector's Pending bit is set; the
   * message goes out, reported then as {@link #MSI} or {@link #MSIX}, when it is unmasked.
   */
  SUPPRESSED
}
