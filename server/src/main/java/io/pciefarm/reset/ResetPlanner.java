package io.pciefarm.reset;

import io.pciefarm.ownership.Authority;
import io.pciefarm.reset.ResetException.Kind;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.Msi;
import io.pciefarm.spec.MsiX;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.device.Quirk;
import io.pciefarm.topology.Bus;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.IsolationGroups;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Turns a request into a decision: which method, which functions it acts on, which functions it
 * reaches. Changes nothing. The order is Linux's ({@link ResetMethod} order), restricted by the
 * caller's allowed set and by each function's reset-method list.
 */
final class ResetPlanner {
  private ResetPlanner() {}

  /** A decided reset. */
  record Decision(ResetMethod method, List<PciFunction> targets, PciFunction bridge,
      List<PciFunction> affected) {}

  static Decision decide(Hierarchy h, ResetRequest r) {
    ResetTarget t = r.target();
    if (t instanceof ResetTarget.Function ft) {
      return forFunction(h, function(h, ft.address()), r.allowed());
    }
    if (t instanceof ResetTarget.Device dt) {
      return forDevice(h, dt.address(), r.allowed());
    }
    if (t instanceof ResetTarget.Slot st) {
      PciFunction port = h.slotPort(st.number());
      if (port == null) {
        throw new ResetException(Kind.BAD_TARGET, "hierarchy '" + h.name() + "' has no slot "
            + st.number());
      }
      return forBridge(h, port, r.allowed(), List.of(ResetMethod.SLOT, ResetMethod.BUS,
          ResetMethod.POWER_CYCLE), "slot " + st.number());
    }
    ResetTarget.Bus bt = (ResetTarget.Bus) t;
    Bus bus = h.busAt(bt.number());
    if (bus == null) {
      throw new ResetException(Kind.BAD_TARGET, String.format(
          "no bus %02x is reachable in hierarchy '%s'", bt.number(), h.name()));
    }
    if (bus.isRoot()) {
      throw new ResetException(Kind.ROOT_BUS, String.format(
          "bus %02x is the root bus: no bridge above it can reset it", bt.number()));
    }
    PciFunction bridge = bus.bridge();
    return forBridge(h, bridge, r.allowed(), bridge.model().hasSlot()
        ? List.of(ResetMethod.SLOT, ResetMethod.BUS) : List.of(ResetMethod.BUS),
        String.format("bus %02x", bt.number()));
  }

  private static PciFunction function(Hierarchy h, PciAddress a) {
    checkSegment(h, a);
    PciFunction f = h.lookup(a);
    if (f == null) {
      throw new ResetException(Kind.BAD_TARGET, "no function answers at " + a);
    }
    return f;
  }

  private static void checkSegment(Hierarchy h, PciAddress a) {
    if (a.segment() != h.segment()) {
      throw new ResetException(Kind.BAD_TARGET, String.format(
          "%s is in segment %04x, not in hierarchy '%s' (segment %04x)", a, a.segment(),
          h.name(), h.segment()));
    }
  }

  private static Decision forFunction(Hierarchy h, PciFunction f, Set<ResetMethod> allowed) {
    Set<ResetMethod> supported = ResetSupport.supported(f);
    List<ResetMethod> list = f.resetMethods();
    for (ResetMethod m : list) {
      if (allowed.contains(m) && supported.contains(m)) {
        if (MethodSet.FUNC.contains(m)) {
          return new Decision(m, List.of(f), null, reached(h, m, List.of(f)));
        }
        PciFunction port = f.upstreamBridge();
        return new Decision(m, List.of(), port, h.subtree(port));
      }
    }
    throw new ResetException(Kind.NO_METHOD, list.isEmpty()
        ? f.describe() + ": resets are disabled (its reset_method list is empty)"
        : String.format("%s: no allowed reset method applies; its reset_method is '%s',"
            + " the request allows '%s'", f.describe(), ResetMethods.show(f),
            ResetMethods.names(allowed)));
  }

  private static Decision forDevice(Hierarchy h, PciAddress a, Set<ResetMethod> allowed) {
    checkSegment(h, a);
    List<PciFunction> fns = new ArrayList<>();
    for (int fn = 0; fn < 8; fn++) {
      PciFunction f = h.lookup(a.bus(), a.device() << 3 | fn);
      if (f != null) {
        fns.add(f);
      }
    }
    if (fns.isEmpty()) {
      throw new ResetException(Kind.BAD_TARGET, String.format(
          "no device answers at %04x:%02x:%02x", a.segment(), a.bus(), a.device()));
    }
    if (fns.size() == 1) {
      return forFunction(h, fns.get(0), allowed);
    }
    PciFunction port = fns.get(0).upstreamBridge();
    boolean aloneOnBus = port != null
        && port.secondary().functions().stream().allMatch(fns::contains);
    for (ResetMethod m : EnumSet.copyOf(allowed)) {
      boolean ok;
      if (MethodSet.FUNC.contains(m)) {
        ok = fns.stream().allMatch(f -> f.resetMethods().contains(m)
            && ResetSupport.supported(f).contains(m));
      } else if (m == ResetMethod.SLOT || m == ResetMethod.BUS) {
        boolean kind = port != null && port.model().hasSlot() == (m == ResetMethod.SLOT);
        ok = aloneOnBus && kind && fns.stream().noneMatch(f -> f.model().has(Quirk.NO_BUS_RESET)
            || (f.resetMethodsCustomised() && !f.resetMethods().contains(m)));
      } else {
        ok = false;
      }
      if (ok) {
        return MethodSet.FUNC.contains(m) ? new Decision(m, fns, null, reached(h, m, fns))
            : new Decision(m, List.of(), port, h.subtree(port));
      }
    }
    throw new ResetException(Kind.NO_METHOD, String.format(
        "device %04x:%02x:%02x: no allowed method resets all %d of its functions (allowed '%s')",
        a.segment(), a.bus(), a.device(), fns.size(), ResetMethods.names(allowed)));
  }

  /**
   * What a function-level reset by {@code m} of {@code targets} reaches: the targets, and below
   * each one that is a port whose slot loses power when the port is reset, everything in the
   * slot. Such a port's Slot Control comes out of reset with Power Controller Control set (Power
   * Off), and the slot's power follows it ({@link io.pciefarm.topology.SlotHardware#portReset}):
   * the card below is cold-reset, so its owner must be asked and the queue must hold it.
   */
  private static List<PciFunction> reached(Hierarchy h, ResetMethod m,
      List<PciFunction> targets) {
    List<PciFunction> out = null;
    for (PciFunction f : targets) {
      if (!cutsSlotPower(f, m)) {
        continue;
      }
      if (out == null) {
        out = new ArrayList<>(targets);
      }
      out.addAll(h.subtree(f));
    }
    return out == null ? targets : out;
  }

  private static boolean cutsSlotPower(PciFunction f, ResetMethod m) {
    if (f.slot() == null || (m == ResetMethod.PM && f.model().has(Quirk.PM_RESET_NO_EFFECT))) {
      return false; // no slot, or a PM "reset" that leaves the registers as they are
    }
    int exp = f.model().layout().capability(CapabilityId.EXP);
    return (f.model().layout().defaultValue(exp + PciExpress.SLOT_CONTROL, 2)
        & PciExpress.SLTCTL_PCC) != 0;
  }

  private static Decision forBridge(Hierarchy h, PciFunction bridge, Set<ResetMethod> allowed,
      List<ResetMethod> order, String what) {
    for (ResetMethod m : order) {
      if (allowed.contains(m)) {
        return new Decision(m, List.of(), bridge, h.subtree(bridge));
      }
    }
    throw new ResetException(Kind.NO_METHOD, what + " can be reset by " + order.stream()
        .map(ResetMethod::sysfsName).toList() + ", none of which the request allows ('"
        + ResetMethods.names(allowed) + "')");
  }

  /** The affected set as reported: group, owner and in-use state of every function reached. */
  static ResetPlan report(Hierarchy h, Decision d) {
    IsolationGroups groups = h.groups();
    List<AffectedFunction> out = new ArrayList<>();
    for (PciFunction f : d.affected()) {
      out.add(new AffectedFunction(f.describe(), groups.groupOf(f), f.owner(), inUse(f)));
    }
    return new ResetPlan(d.method(), out);
  }

  /**
   * Refuses when any affected function belongs to an owner {@code caller} does not cover,
   * naming every such function and its owner.
   */
  static void checkOwnership(Decision d, Authority caller) {
    List<String> blocking = new ArrayList<>();
    for (PciFunction f : d.affected()) {
      if (!caller.covers(f.owner())) {
        blocking.add(f.describe() + " (" + f.owner() + ")");
      }
    }
    if (!blocking.isEmpty()) {
      throw new ResetException(Kind.NOT_OWNER, "a " + d.method().sysfsName() + " reset would"
          + " reach " + blocking.size() + " function(s) " + caller + " does not own: "
          + String.join(", ", blocking), blocking);
    }
  }

  /** Why a function looks driven (bus mastering, MSI or MSI-X on), or empty. */
  static String inUse(PciFunction f) {
    // Called for every function a plan reaches: nothing allocated when nothing is on.
    String why = "";
    if ((f.config().read(Header.COMMAND, 2) & Header.COMMAND_MASTER) != 0) {
      why = "bus mastering enabled";
    }
    int msi = f.model().layout().capability(CapabilityId.MSI);
    if (msi >= 0 && (f.config().read(msi + Msi.CONTROL, 2) & Msi.CONTROL_ENABLE) != 0) {
      why = and(why, "MSI enabled");
    }
    int msix = f.model().layout().capability(CapabilityId.MSIX);
    if (msix >= 0 && (f.config().read(msix + MsiX.CONTROL, 2) & MsiX.CONTROL_ENABLE) != 0) {
      why = and(why, "MSI-X enabled");
    }
    return why;
  }

  private static String and(String so, String more) {
    return so.isEmpty() ? more : so + ", " + more;
  }
}
