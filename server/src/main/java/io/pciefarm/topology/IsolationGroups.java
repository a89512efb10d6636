package io.pciefarm.topology;

import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.ExtendedCapabilities;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.PortType;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Isolation (IOMMU) groups of one hierarchy, computed as Linux's {@code pci_device_group} does,
 * from the topology and the live ACS Control registers:
 * <ol>
 *   <li>walking up from a function, the first bridge whose path to the root is not fully
 *       ACS-isolated takes the function into its own group (so a port without ACS merges its
 *       subtree, and a PCIe-to-PCI or conventional bridge merges everything behind it);
 *   <li>otherwise a function of a multi-function device without ACS shares a group with its
 *       siblings that lack ACS too;
 *   <li>otherwise the function is a group of its own.
 * </ol>
 * "ACS-isolated" means Source Validation, Request Redirect, Completion Redirect and Upstream
 * Forwarding enabled, where implemented, on root and downstream ports and on functions of
 * multi-function devices; single-function endpoints and upstream ports need none; conventional
 * PCI and PCIe-to-PCI bridges never qualify. An immutable snapshot.
 */
public final class IsolationGroups {
  private final long version;
  private final Map<PciFunction, Integer> groupOf;
  private final List<List<PciFunction>> members;

  private IsolationGroups(long version, Map<PciFunction, Integer> groupOf,
      List<List<PciFunction>> members) {
    this.version = version;
    this.groupOf = groupOf;
    this.members = members;
  }

  static IsolationGroups compute(Hierarchy h, long version) {
    Map<PciFunction, PciFunction> anchors = new IdentityHashMap<>();
    Map<PciFunction, Integer> groupOf = new IdentityHashMap<>();
    Map<PciFunction, Integer> groupOfAnchor = new IdentityHashMap<>();
    List<List<PciFunction>> members = new ArrayList<>();
    for (Bus bus : h.buses()) {
      for (PciFunction f : bus.functions()) {
        PciFunction anchor = anchor(f, anchors);
        Integer g = groupOfAnchor.get(anchor);
        if (g == null) {
          g = members.size();
          groupOfAnchor.put(anchor, g);
          members.add(new ArrayList<>());
        }
        groupOf.put(f, g);
        members.get(g).add(f);
      }
    }
    List<List<PciFunction>> frozen = new ArrayList<>(members.size());
    for (List<PciFunction> m : members) {
      frozen.add(Collections.unmodifiableList(m));
    }
    return new IsolationGroups(version, groupOf, Collections.unmodifiableList(frozen));
  }

  /** The function whose group {@code f} joins (possibly {@code f} itself). */
  private static PciFunction anchor(PciFunction f, Map<PciFunction, PciFunction> memo) {
    PciFunction known = memo.get(f);
    if (known != null) {
      return known;
    }
    PciFunction result = f;
    // Linux stops at the first bridge up: every bridge already has its group, which accounts
    // for breaks further up.
    PciFunction up = f.upstreamBridge();
    if (up != null && !acsPathEnabled(up)) {
      result = anchor(up, memo);
    } else if (isMultiFunction(f) && !acsEnabled(f)) {
      for (int fn = 0; fn < 8; fn++) {
        PciFunction sibling = f.bus().function(f.deviceNumber() << 3 | fn);
        if (sibling != null && !acsEnabled(sibling)) {
          result = sibling;
          break;
        }
      }
    }
    memo.put(f, result);
    return result;
  }

  private static boolean acsPathEnabled(PciFunction start) {
    for (PciFunction p = start; p != null; p = p.upstreamBridge()) {
      if (!acsEnabled(p)) {
        return false;
      }
    }
    return true;
  }

  /** Whether {@code f} provides the isolation Linux requires of its type (pci_acs_enabled). */
  static boolean acsEnabled(PciFunction f) {
    PortType type = f.model().portType();
    if (type == null) {
      return false; // conventional PCI
    }
    return switch (type) {
      case PCIE_TO_PCI_BRIDGE, PCI_TO_PCIE_BRIDGE, RC_EVENT_COLLECTOR -> false;
      case ROOT_PORT, DOWNSTREAM_PORT -> acsFlagsEnabled(f);
      case ENDPOINT, LEGACY_ENDPOINT, UPSTREAM_PORT, RC_INTEGRATED_ENDPOINT ->
          !isMultiFunction(f) || acsFlagsEnabled(f);
    };
  }

  /**
   * ACS Control has SV, RR, CR and UF enabled, counting controls the capability does not
   * implement as hard-wired on (as Linux does); no ACS capability at all fails.
   */
  private static boolean acsFlagsEnabled(PciFunction f) {
    int acs = f.model().layout().extendedCapability(CapabilityId.EXT_ACS);
    if (acs < 0) {
      return false;
    }
    int cap = f.config().read(acs + ExtendedCapabilities.ACS_CAPABILITY, 2);
    int ctrl = f.config().read(acs + ExtendedCapabilities.ACS_CONTROL, 2);
    int required = ExtendedCapabilities.ACS_ISOLATION & (cap | ExtendedCapabilities.ACS_EC);
    return (ctrl & required) == required;
  }

  private static boolean isMultiFunction(PciFunction f) {
    return (f.config().read(Header.HEADER_TYPE, 1) & Header.HEADER_TYPE_MULTI_FUNCTION) != 0;
  }

  long version() {
    return version;
  }

  /** The group number of {@code f} (0-based, in depth-first order of first member). */
  public int groupOf(PciFunction f) {
    Integer g = groupOf.get(f);
    if (g == null) {
      throw new IllegalArgumentException(f + " is not in this hierarchy");
    }
    return g;
  }

  /** Members of group {@code group}, in depth-first order. */
  public List<PciFunction> members(int group) {
    return members.get(group);
  }

  /** Members of the group {@code f} is in, {@code f} included. */
  public List<PciFunction> groupMates(PciFunction f) {
    return members(groupOf(f));
  }

  public int count() {
    return members.size();
  }
}
