package io.pciefarm.reset;

import io.pciefarm.device.FunctionModel;
import io.pciefarm.device.Quirk;
import io.pciefarm.topology.PciFunction;
import java.util.EnumSet;
import java.util.Set;

/**
 * Which reset methods a function supports, decided as Linux's probes decide them (the
 * {@code probe} half of each {@code pci_reset_fn_methods} entry), from the model's registers
 * and quirks and from where the function sits.
 */
public final class ResetSupport {
  private ResetSupport() {}

  /** The supported function-reset methods, in Linux's order (power cycle is for slots only). */
  public static Set<ResetMethod> supported(PciFunction f) {
    FunctionModel m = f.model();
    Set<ResetMethod> out = EnumSet.noneOf(ResetMethod.class);
    if (m.has(Quirk.DEVICE_SPECIFIC_RESET)) {
      out.add(ResetMethod.DEVICE_SPECIFIC);
    }
    if (m.flrCapable()) {
      out.add(ResetMethod.FLR);
    }
    if (m.afFlrCapable()) {
      out.add(ResetMethod.AF_FLR);
    }
    if (m.pmResetAdvertised()) {
      out.add(ResetMethod.PM);
    }
    if (linkResettable(f)) {
      PciFunction port = f.upstreamBridge();
      if (port.model().hasSlot()) {
        out.add(ResetMethod.SLOT);
      } else {
        out.add(ResetMethod.BUS);
      }
    }
    return out;
  }

  /**
   * A function can be reset through its link when a bridge sits above it, it is not a bridge
   * itself, it has no NO_BUS_RESET quirk, and it is alone on its bus: resetting the link would
   * otherwise reset its neighbours too (Linux's {@code pci_parent_bus_reset} and
   * {@code pci_dev_reset_slot_function} refuse the same cases).
   */
  private static boolean linkResettable(PciFunction f) {
    if (f.upstreamBridge() == null || f.isBridge() || f.model().has(Quirk.NO_BUS_RESET)) {
      return false;
    }
    return f.bus().functions().size() == 1;
  }
}
