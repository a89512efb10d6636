package io.pciefarm.topology;

/**
 * The hot-plug controller behind a port's slot, as the port sees it: the port reports Slot
 * Control and Slot Status writes, link changes and secondary bus resets; the controller says
 * whether a link can train (a card is present, powered and latched). Implemented by the
 * hot-plug layer; a port without a slot has none.
 */
public interface SlotHardware {
  /** Software wrote Slot Control: a command. */
  void slotControlWritten(int oldValue, int newValue, int written);

  /** Software cleared Slot Status bits. */
  void slotStatusWritten();

  /** The link below the port went up or down. */
  void linkChanged(boolean up);

  /** Secondary Bus Reset was asserted on the port. */
  void secondaryResetAsserted();

  /** A card is present, powered and latched: the link can train. */
  boolean linkPossible();
}
