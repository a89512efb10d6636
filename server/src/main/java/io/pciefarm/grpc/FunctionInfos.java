package io.pciefarm.grpc;

import io.pciefarm.ownership.Assignability;
import io.pciefarm.proto.v1.FunctionInfo;
import io.pciefarm.proto.v1.HierarchyInfo;
import io.pciefarm.proto.v1.HierarchySpec;
import io.pciefarm.proto.v1.NotAssignableReason;
import io.pciefarm.proto.v1.PortType;
import io.pciefarm.proto.v1.ResetMethod;
import io.pciefarm.reset.ResetSupport;
import io.pciefarm.spec.Header;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.IsolationGroups;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Engine objects as the protocol's messages. */
final class FunctionInfos {
  private FunctionInfos() {}

  static HierarchyInfo hierarchy(Hierarchy h, HierarchySpec spec) {
    HierarchyInfo.Builder b = HierarchyInfo.newBuilder()
        .setName(h.name())
        .setSegment(h.segment())
        .setDescription(h.description())
        .setFunctionCount(h.functions().size())
        .setBusCount(h.buses().size())
        .setGroupCount(h.groups().count());
    if (spec != null) {
      b.setSpec(spec);
    }
    return b.build();
  }

  /** Reachable functions in address order, then unreachable ones in depth-first order. */
  static List<FunctionInfo> functions(Hierarchy h) {
    List<PciFunction> reachable = new ArrayList<>();
    List<PciFunction> unreachable = new ArrayList<>();
    for (PciFunction f : h.functions()) {
      (f.address() != null ? reachable : unreachable).add(f);
    }
    reachable.sort(Comparator.comparing(PciFunction::address));
    IsolationGroups groups = h.groups();
    List<FunctionInfo> out = new ArrayList<>(h.functions().size());
    for (PciFunction f : reachable) {
      out.add(function(f, groups));
    }
    for (PciFunction f : unreachable) {
      out.add(function(f, groups));
    }
    return out;
  }

  static FunctionInfo function(PciFunction f, IsolationGroups groups) {
    PciAddress a = f.address();
    FunctionInfo.Builder b = FunctionInfo.newBuilder()
        .setHierarchy(f.hierarchy().name())
        .setModel(f.deviceModel().name())
        .setDescription(f.model().description())
        .setVendorId(f.config().read(Header.VENDOR_ID, 2))
        .setDeviceId(f.config().read(Header.DEVICE_ID, 2))
        .setClassCode(f.config().read(Header.REVISION_ID, 4) >>> 8)
        .setConfigSize(f.config().layout().size())
        .setPortType(portType(f.model().portType()))
        .setBridge(f.isBridge())
        .setHost(f.isHost())
        .setLabel(f.label())
        .setIsolationGroup(groups.groupOf(f));
    if (a != null) {
      b.setAddress(a.toString()).setReachable(true).setPackedAddress(packed(a));
    }
    if (f.isBridge()) {
      b.setSecondaryBus(f.secondaryBusNumber()).setSubordinateBus(f.subordinateBusNumber());
    }
    b.setSlot(Hierarchy.physicalSlot(f));
    Assignability assignability = Assignability.of(f);
    b.setAssignable(assignability.assignable());
    for (Assignability.Problem p : assignability.reasons()) {
      b.addNotAssignableReasons(p.detail()).addNotAssignableReasonCodes(reason(p.reason()));
    }
    for (io.pciefarm.reset.ResetMethod m : ResetSupport.supported(f)) {
      b.addResetMethods(resetMethod(m));
    }
    io.pciefarm.ownership.Owner owner = f.owner();
    if (owner != null && !owner.isHost()) {
      b.setLeaseId(owner.id());
    }
    PciFunction up = f.upstreamBridge();
    if (up != null && up.address() != null) {
      b.setUpstream(up.address().toString());
    }
    return b.build();
  }

  /** segment << 16 | bus << 8 | devfn, the batch path's packed address. */
  static int packed(PciAddress a) {
    return a.segment() << 16 | a.bus() << 8 | a.devfn();
  }

  static PortType portType(io.pciefarm.spec.PortType t) {
    if (t == null) {
      return PortType.PORT_TYPE_CONVENTIONAL;
    }
    return switch (t) {
      case ENDPOINT -> PortType.PORT_TYPE_ENDPOINT;
      case LEGACY_ENDPOINT -> PortType.PORT_TYPE_LEGACY_ENDPOINT;
      case ROOT_PORT -> PortType.PORT_TYPE_ROOT_PORT;
      case UPSTREAM_PORT -> PortType.PORT_TYPE_UPSTREAM_PORT;
      case DOWNSTREAM_PORT -> PortType.PORT_TYPE_DOWNSTREAM_PORT;
      case PCIE_TO_PCI_BRIDGE -> PortType.PORT_TYPE_PCIE_TO_PCI_BRIDGE;
      case PCI_TO_PCIE_BRIDGE -> PortType.PORT_TYPE_PCI_TO_PCIE_BRIDGE;
      case RC_INTEGRATED_ENDPOINT -> PortType.PORT_TYPE_RC_INTEGRATED_ENDPOINT;
      case RC_EVENT_COLLECTOR -> PortType.PORT_TYPE_RC_EVENT_COLLECTOR;
    };
  }

  static NotAssignableReason reason(Assignability.Reason r) {
    return switch (r) {
      case BRIDGE -> NotAssignableReason.NOT_ASSIGNABLE_REASON_BRIDGE;
      case HOST_DEVICE -> NotAssignableReason.NOT_ASSIGNABLE_REASON_HOST_DEVICE;
      case GROUP_SHARED_WITH_HOST ->
          NotAssignableReason.NOT_ASSIGNABLE_REASON_GROUP_SHARED_WITH_HOST;
      case SUB_PAGE_BAR -> NotAssignableReason.NOT_ASSIGNABLE_REASON_SUB_PAGE_BAR;
      case NO_RESET_METHOD -> NotAssignableReason.NOT_ASSIGNABLE_REASON_NO_RESET_METHOD;
    };
  }

  static ResetMethod resetMethod(io.pciefarm.reset.ResetMethod m) {
    return switch (m) {
      case DEVICE_SPECIFIC -> ResetMethod.RESET_METHOD_DEVICE_SPECIFIC;
      case FLR -> ResetMethod.RESET_METHOD_FLR;
      case AF_FLR -> ResetMethod.RESET_METHOD_AF_FLR;
      case PM -> ResetMethod.RESET_METHOD_PM;
      case SLOT -> ResetMethod.RESET_METHOD_SLOT;
      case BUS -> ResetMethod.RESET_METHOD_BUS;
      case POWER_CYCLE -> ResetMethod.RESET_METHOD_POWER_CYCLE;
    };
  }
}
