package io.pciefarm.ownership;

import io.pciefarm.reset.ResetSupport;
import io.pciefarm.topology.PciFunction;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Whether a function can be handed to a guest, as VFIO would judge it, and every reason why not.
 *
 * @param reasons empty when the function is assignable
 */
public record Assignability(List<Problem> reasons) {
  /** Page size assumed by the IOMMU: smaller memory BARs share a page with other devices. */
  public static final long PAGE_SIZE = 4096;

  /** One reason a function cannot be assigned, with a sentence for people. */
  public record Problem(Reason reason, String detail) {}

  /** Why a function cannot be assigned. */
  public enum Reason {
    /** Bridges and ports stay with the host (vfio-pci binds type 0 functions only). */
    BRIDGE,
    /** The topology declares the function as the host's own. */
    HOST_DEVICE,
    /** Its isolation group holds a function that stays with the host. */
    GROUP_SHARED_WITH_HOST,
    /** A memory BAR smaller than a page: another device's registers could share the page. */
    SUB_PAGE_BAR,
    /** No reset method: it cannot be cleaned between owners. */
    NO_RESET_METHOD
  }

  public boolean assignable() {
    return reasons.isEmpty();
  }

  /** Judges {@code f} in the hierarchy's current grouping. */
  public static Assignability of(PciFunction f) {
    List<Problem> out = new ArrayList<>();
    if (f.isBridge()) {
      out.add(new Problem(Reason.BRIDGE, "a bridge or port stays with the host"));
    }
    if (f.isHost()) {
      out.add(new Problem(Reason.HOST_DEVICE, "declared as the host's own device"));
    }
    for (PciFunction mate : f.hierarchy().groups().groupMates(f)) {
      if (mate != f && mate.isHost()) {
        out.add(new Problem(Reason.GROUP_SHARED_WITH_HOST, "its isolation group holds "
            + mate + ", which stays with the host"));
      }
    }
    f.model().bars().forEach((index, bar) -> {
      if (bar.isMemory() && bar.size() < PAGE_SIZE) {
        out.add(new Problem(Reason.SUB_PAGE_BAR, "BAR" + index + " is " + bar.size()
            + " bytes, smaller than a " + PAGE_SIZE + "-byte page"));
      }
    });
    if (!f.isBridge() && ResetSupport.supported(f).isEmpty()) {
      out.add(new Problem(Reason.NO_RESET_METHOD,
          "no FLR, AF FLR, PM or device-specific reset, and no bus or slot reset of its own"));
    }
    return new Assignability(Collections.unmodifiableList(out));
  }
}
