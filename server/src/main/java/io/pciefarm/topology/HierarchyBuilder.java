package io.pciefarm.topology;

import io.pciefarm.device.Catalog;
import io.pciefarm.device.DeviceModel;
import io.pciefarm.device.FunctionModel;
import io.pciefarm.proto.v1.DeviceSpec;
import io.pciefarm.proto.v1.HierarchySpec;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.ExtendedCapabilities;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.PortType;
import io.pciefarm.topology.TopologyException.Kind;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import io.pciefarm.time.TimeBase;

/**
 * Builds a {@link Hierarchy} from its declarative description, validating as it goes: every
 * error names the place in the description. Unless the description asks for an unprogrammed
 * hierarchy, it then enumerates it as firmware would.
 */
public final class HierarchyBuilder {
  private static final Pattern NAME = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");
  private static final int MAX_BUSES = 256;

  private final HierarchySpec spec;
  private final Function<String, Optional<DeviceModel>> models;
  private final Hierarchy hierarchy;
  private final BitSet slotNumbers = new BitSet();
  private final List<PciFunction> autoSlots = new ArrayList<>();
  private int rootPorts;

  private HierarchyBuilder(HierarchySpec spec, TimeBase timeBase,
      Function<String, Optional<DeviceModel>> models) {
    this.spec = spec;
    this.models = models;
    this.hierarchy = new Hierarchy(spec.getName(), spec.getSegment(), spec.getDescription(),
        timeBase, spec.hasTimeScale() ? spec.getTimeScale() : 1.0);
  }

  /** Builds on the shared real-time clock. */
  public static Hierarchy build(HierarchySpec spec) {
    return build(spec, TimeBase.system());
  }

  /**
   * Builds the hierarchy {@code spec} describes, on the farm's clock.
   *
   * @throws TopologyException naming the place of the first problem
   */
  public static Hierarchy build(HierarchySpec spec, TimeBase timeBase) {
    return build(spec, timeBase, Catalog::find);
  }

  /**
   * Builds with model names resolved by {@code models} rather than the catalog alone: the seam
   * tests use to place device models the catalog does not ship.
   */
  public static Hierarchy build(HierarchySpec spec, TimeBase timeBase,
      Function<String, Optional<DeviceModel>> models) {
    if (!NAME.matcher(spec.getName()).matches()) {
      throw new TopologyException(Kind.BAD_VALUE, "name", "'" + spec.getName()
          + "' is not a hierarchy name: use lower-case words joined by dashes");
    }
    if (spec.getSegment() > 0xFFFF) {
      throw new TopologyException(Kind.BAD_VALUE, "segment", "segment " + spec.getSegment()
          + " is outside 0..65535");
    }
    if (spec.hasTimeScale() && !(spec.getTimeScale() >= 0 && Double.isFinite(spec.getTimeScale()))) {
      throw new TopologyException(Kind.BAD_VALUE, "timeScale", "time scale "
          + spec.getTimeScale() + " must be a finite number >= 0 (0 instant, 1 real time)");
    }
    if (spec.hasSlotCommandMs()
        && (!(spec.getSlotCommandMs() >= 0) || Double.isInfinite(spec.getSlotCommandMs()))) {
      throw new TopologyException(Kind.BAD_VALUE, "slotCommandMs", "slot command latency "
          + spec.getSlotCommandMs() + " ms must be a finite number >= 0");
    }
    HierarchyBuilder b = new HierarchyBuilder(spec, timeBase, models);
    b.placeAll(b.hierarchy.rootBus(), null, spec.getDevicesList(), "devices");
    b.numberAutoSlots();
    if (!spec.getUnprogrammed()) {
      FirmwareEnumerator.enumerate(b.hierarchy);
    }
    b.hierarchy.activate();
    if (spec.hasSlotCommandMs()) {
      // Math.round saturates: a huge latency becomes "never", not an overflow.
      b.hierarchy.hotPlug().commandLatency(java.time.Duration.ofNanos(
          Math.round(spec.getSlotCommandMs() * 1e6)));
    }
    return b.hierarchy;
  }

  private void placeAll(Bus bus, PciFunction parent, List<DeviceSpec> devices, String path) {
    Set<Integer> taken = new HashSet<>();
    for (int i = 0; i < devices.size(); i++) {
      DeviceSpec d = devices.get(i);
      String at = path + "[" + i + "]";
      String place = String.format("%s (device %d, model '%s')", at, d.getDevice(), d.getModel());
      if (d.getDevice() > 31) {
        throw new TopologyException(Kind.BAD_VALUE, place, "device number " + d.getDevice()
            + " is outside 0..31");
      }
      if (!taken.add(d.getDevice())) {
        throw new TopologyException(Kind.DUPLICATE_ADDRESS, place, "device number "
            + d.getDevice() + " is already used on this bus");
      }
      DeviceModel found = models.apply(d.getModel()).orElseThrow(() -> new TopologyException(
          Kind.UNKNOWN_MODEL, place, "unknown model '" + d.getModel() + "'; the catalog has: "
          + String.join(", ", Catalog.all().stream().map(DeviceModel::name).toList())));
      DeviceModel model = found;
      if (d.hasSlotFeatures()) {
        if (!model.function(0).hasSlot()) {
          throw new TopologyException(Kind.BAD_SLOT, place, "model '" + model.name()
              + "' implements no slot, so it takes no slot features");
        }
        model = model.withSlot(slotCapabilities(d.getSlotFeatures()));
      }
      checkFits(parent, model, d, place);
      place(bus, d, model, at, place);
    }
  }

  /** Slot Capabilities from the features a topology declares. */
  static io.pciefarm.caps.SlotCapabilities slotCapabilities(io.pciefarm.proto.v1.SlotFeatures f) {
    return io.pciefarm.caps.SlotCapabilities.builder()
        .attentionButton(f.getAttentionButton()).powerController(f.getPowerController())
        .mrlSensor(f.getMrlSensor()).attentionIndicator(f.getAttentionIndicator())
        .powerIndicator(f.getPowerIndicator())
        .electromechanicalInterlock(f.getElectromechanicalInterlock())
        .hotPlugSurprise(f.getSurprise()).noCommandCompleted(f.getNoCommandCompleted())
        .hotPlugCapable(!f.getFixed()).build();
  }

  /** Enforces what each kind of bus may hold. */
  private static void checkFits(PciFunction parent, DeviceModel model, DeviceSpec d,
      String place) {
    PortType type = model.function(0).portType();
    String what = type == null ? "a conventional PCI device" : "a " + describe(type);
    if (parent == null) {
      boolean ok = type == null || type.livesOnRootBus();
      if (!ok) {
        throw new TopologyException(Kind.CANNOT_HOLD, place, "the root bus holds root ports,"
            + " root-complex integrated endpoints and conventional devices, not " + what);
      }
      return;
    }
    PortType parentType = parent.model().portType();
    String parentWhat = parentType == null ? "a conventional PCI bridge"
        : "a " + describe(parentType);
    if (parentType == null || parentType == PortType.PCIE_TO_PCI_BRIDGE) {
      if (type != null) {
        throw new TopologyException(Kind.CANNOT_HOLD, place, parentWhat
            + " has a conventional PCI bus below it, which cannot hold " + what);
      }
    } else if (parentType == PortType.UPSTREAM_PORT) {
      if (type != PortType.DOWNSTREAM_PORT) {
        throw new TopologyException(Kind.CANNOT_HOLD, place, "a switch's internal bus holds"
            + " only switch downstream ports, not " + what);
      }
    } else if (parentType.isDownstreamFacing()) {
      boolean ok = type == PortType.ENDPOINT || type == PortType.LEGACY_ENDPOINT
          || type == PortType.UPSTREAM_PORT || type == PortType.PCIE_TO_PCI_BRIDGE;
      if (!ok) {
        throw new TopologyException(Kind.CANNOT_HOLD, place, parentWhat
            + " has a PCI Express link below it, which cannot hold " + what);
      }
      if (d.getDevice() != 0) {
        throw new TopologyException(Kind.CANNOT_HOLD, place, "below " + parentWhat
            + " only device 0 exists (the link's one downstream device), not device "
            + d.getDevice());
      }
    } else {
      throw new TopologyException(Kind.CANNOT_HOLD, place, parentWhat
          + " has no bus below it");
    }
  }

  private void place(Bus bus, DeviceSpec d, DeviceModel model, String at, String place) {
    List<Integer> present = model.functionNumbers();
    if (!d.getFunctionsList().isEmpty()) {
      Set<Integer> listed = new HashSet<>();
      for (int fn : d.getFunctionsList()) {
        if (!listed.add(fn)) {
          throw new TopologyException(Kind.DUPLICATE_ADDRESS, place, "function " + fn
              + " is listed twice in functions " + d.getFunctionsList());
        }
        if (!present.contains(fn)) {
          throw new TopologyException(Kind.BAD_VALUE, place, "model '" + model.name()
              + "' has no function " + fn + "; it has " + present);
        }
      }
      if (!d.getFunctionsList().contains(0)) {
        throw new TopologyException(Kind.FUNCTION_ZERO_MISSING, place,
            "function 0 is required: without it nothing probes the other functions");
      }
      present = d.getFunctionsList();
    }
    FunctionModel f0 = model.function(0);
    if (!f0.isBridge() && d.getChildrenCount() > 0) {
      throw new TopologyException(Kind.CANNOT_HOLD, place, "model '" + model.name()
          + "' is not a bridge or port and cannot hold devices");
    }
    if (d.getSlot() != 0) {
      if (!f0.hasSlot()) {
        throw new TopologyException(Kind.BAD_SLOT, place, "model '" + model.name()
            + "' implements no slot, so it takes no slot number");
      }
      if (d.getSlot() > PciExpress.SLTCAP_PSN_MAX) {
        throw new TopologyException(Kind.BAD_SLOT, place, "slot number " + d.getSlot()
            + " is outside 1..8191");
      }
      if (slotNumbers.get(d.getSlot())) {
        throw new TopologyException(Kind.BAD_SLOT, place, "slot number " + d.getSlot()
            + " is already used in this hierarchy");
      }
      slotNumbers.set(d.getSlot());
    }
    for (int fn : present.stream().sorted().toList()) {
      FunctionModel fm = model.function(fn);
      PciFunction f = new PciFunction(hierarchy, bus, d.getDevice() << 3 | fn,
          hierarchy.nextFunctionIndex(), model, fm, d.getHost(), d.getLabel());
      hierarchy.add(f);
      strap(f, d);
      if (fm.isBridge()) {
        if (hierarchy.buses().size() >= MAX_BUSES) {
          throw new TopologyException(Kind.BUS_NUMBERS_EXHAUSTED, place, "this bridge needs"
              + " bus number " + hierarchy.buses().size() + " but a segment has buses 0..255");
        }
        f.secondary(hierarchy.newBus(f));
        if (fn == 0) {
          placeAll(f.secondary(), f, d.getChildrenList(), at + ".children");
        }
        linkUpIfOccupied(f);
      }
    }
  }

  /** Per-instance hardware-initialised values: port number, slot number, serial number. */
  private void strap(PciFunction f, DeviceSpec d) {
    int exp = f.model().layout().capability(CapabilityId.EXP);
    PortType type = f.model().portType();
    if (exp >= 0 && type != null && type.isDownstreamFacing()) {
      int portNumber = type == PortType.ROOT_PORT ? ++rootPorts : f.deviceNumber();
      int lnkcap = f.config().read(exp + PciExpress.LINK_CAPABILITIES, 4);
      f.config().strap(exp + PciExpress.LINK_CAPABILITIES, 4,
          (lnkcap & 0x00FF_FFFF) | portNumber << PciExpress.LNKCAP_PORT_NUMBER_SHIFT);
      if (f.model().hasSlot() && f.functionNumber() == 0) {
        if (d.getSlot() != 0) {
          strapSlotNumber(f, d.getSlot());
        } else {
          autoSlots.add(f);
        }
      }
    }
    strapSerial(hierarchy, f);
  }

  /** Real serial numbers differ per unit: mix the segment and the function's index in. */
  static void strapSerial(Hierarchy h, PciFunction f) {
    int dsn = f.model().layout().extendedCapability(CapabilityId.EXT_DSN);
    if (dsn >= 0) {
      int lo = f.config().read(dsn + ExtendedCapabilities.DSN_SERIAL_LO, 4);
      f.config().strap(dsn + ExtendedCapabilities.DSN_SERIAL_LO, 4,
          lo ^ (h.segment() << 16 | f.index()));
    }
  }

  /**
   * A card plugged below a port: device 0 of a link, never a port or a conventional device,
   * and (for now) nothing with a bus of its own.
   */
  static void checkCard(PciFunction port, DeviceModel model) {
    String place = "slot below " + port.describe();
    DeviceSpec d = DeviceSpec.newBuilder().setDevice(0).setModel(model.name()).build();
    checkFits(port, model, d, place);
    if (model.function(0).isBridge()) {
      throw new TopologyException(Kind.CANNOT_HOLD, place, "model '" + model.name()
          + "' is a bridge; only endpoints can be hot-plugged");
    }
  }

  private static void strapSlotNumber(PciFunction f, int number) {
    int exp = f.model().layout().capability(CapabilityId.EXP);
    int sltcap = f.config().read(exp + PciExpress.SLOT_CAPABILITIES, 4);
    f.config().strap(exp + PciExpress.SLOT_CAPABILITIES, 4,
        (sltcap & ~(PciExpress.SLTCAP_PSN_MAX << PciExpress.SLTCAP_PSN_SHIFT))
            | number << PciExpress.SLTCAP_PSN_SHIFT);
  }

  /** Slots left at 0 get the lowest free numbers, in depth-first order. */
  private void numberAutoSlots() {
    int next = 1;
    for (PciFunction f : autoSlots) {
      next = slotNumbers.nextClearBit(next);
      slotNumbers.set(next);
      strapSlotNumber(f, next);
    }
  }

  /**
   * A port with a device below it has a trained link (Data Link Layer Link Active) and, with a
   * slot, a present card: the state the hierarchy boots in.
   */
  private static void linkUpIfOccupied(PciFunction port) {
    int exp = port.model().layout().capability(CapabilityId.EXP);
    PortType type = port.model().portType();
    if (exp < 0 || type == null || !type.isDownstreamFacing()
        || port.secondary().functions().isEmpty()) {
      return;
    }
    port.linkUp(true);
    if (port.model().hasSlot()) {
      port.config().hardwareUpdate(exp + PciExpress.SLOT_STATUS, 2, 0, PciExpress.SLTSTA_PDS);
      int sltcap = port.config().read(exp + PciExpress.SLOT_CAPABILITIES, 4);
      if ((sltcap & PciExpress.SLTCAP_PCP) != 0) {
        // Slot power resets off; firmware powers occupied slots and lights their power LED.
        int sltctl = port.config().read(exp + PciExpress.SLOT_CONTROL, 2);
        int powerLed = (sltcap & PciExpress.SLTCAP_PIP) != 0
            ? PciExpress.INDICATOR_ON << PciExpress.SLTCTL_PIC_SHIFT : 0;
        port.config().write(exp + PciExpress.SLOT_CONTROL, 2,
            (sltctl & ~PciExpress.SLTCTL_PCC & ~PciExpress.SLTCTL_PIC_MASK) | powerLed);
      }
    }
  }

  private static String describe(PortType type) {
    return switch (type) {
      case ENDPOINT -> "PCI Express endpoint";
      case LEGACY_ENDPOINT -> "legacy PCI Express endpoint";
      case ROOT_PORT -> "root port";
      case UPSTREAM_PORT -> "switch upstream port";
      case DOWNSTREAM_PORT -> "switch downstream port";
      case PCIE_TO_PCI_BRIDGE -> "PCIe-to-PCI bridge";
      case PCI_TO_PCIE_BRIDGE -> "PCI-to-PCIe bridge";
      case RC_INTEGRATED_ENDPOINT -> "root-complex integrated endpoint";
      case RC_EVENT_COLLECTOR -> "root-complex event collector";
    };
  }
}
