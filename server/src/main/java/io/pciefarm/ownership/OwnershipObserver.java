package io.pciefarm.ownership;

import io.pciefarm.topology.PciFunction;

/** Hears a function change hands. Called on the thread that changed it; must not block. */
@FunctionalInterface
public interface OwnershipObserver {
  OwnershipObserver NONE = (f, before, after) -> {};

  void ownerChanged(PciFunction function, Owner before, Owner after);
}
