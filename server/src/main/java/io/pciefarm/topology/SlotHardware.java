package io.pciefarm.topology;

/**
 * The hot-plug controller behind a port's slot, as the port sees it: the port reports Slot
 * Control and Slot Status writes, writes to the registers that steer its interrupt, link
 * changes, secondary bus resets and resets of the port itself; the controller says whether a
 * link can train (a card is present, powered and latched). Implemented by the hot-plug layer; a
 * port without a slot has none.
 */
public interface SlotHardware {
  /** Software wrote Slot Control: a command. */
  void slotControlWritten(int oldValue, int newValue, int written);

  /** Software cleared Slot Status bits. */
  void slotStatusWritten();

  /**
   * Software wrote a register that decides how the port's interrupt is delivered: Command (Bus
   * Master Enable, Interrupt Disable), MSI Message Control or Mask Bits, MSI-X Message Control.
   */
  void interruptControlWritten();

  /** The link below the port went up or down. */
  void linkChanged(boolean up);

  /** Secondary Bus Reset was asserted on the port. */
  void secondaryResetAsserted();

  /**
   * The port itself was reset ({@code cold}: by losing power) and the reset engine is done with
   * it and everything below it in this step: its registers are at their defaults, its link is
   * down. The controller puts back what reflects the physical slot and follows the reset Slot
   * Control.
   */
  void portReset(boolean cold);

  /**
   * The farm cut ({@code true}) or restored the slot's supply from outside the port, as a power
   * cycle does: the card loses power whatever Slot Control asks for.
   */
  void supplyCut(boolean cut);

  /** A card is present, powered and latched: the link can train. */
  boolean linkPossible();
}
