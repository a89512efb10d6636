package io.pciefarm.hotplug;

import io.pciefarm.topology.PciFunction;

/**
 * Hears slot state changes, to publish them as events. Called on the thread that made the
 * change, with the slot's lock held: must not block or call back into the slot.
 */
public interface SlotObserver {
  SlotObserver NONE = new SlotObserver() {};

  default void presenceChanged(PciFunction port, int slot, boolean present, String model,
      boolean surprise) {}

  default void powerChanged(PciFunction port, int slot, boolean on) {}

  default void indicatorsChanged(PciFunction port, int slot, Indicator attention,
      Indicator power) {}

  default void attentionButton(PciFunction port, int slot) {}

  default void mrlChanged(PciFunction port, int slot, boolean open) {}

  default void powerFault(PciFunction port, int slot) {}

  default void interlockChanged(PciFunction port, int slot, boolean engaged) {}

  default void commandCompleted(PciFunction port, int slot) {}

  default void interrupt(PciFunction port, int slot, InterruptKind kind) {}
}
