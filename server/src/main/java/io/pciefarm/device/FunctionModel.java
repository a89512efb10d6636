package io.pciefarm.device;

import io.pciefarm.config.Bar;
import io.pciefarm.config.Capability;
import io.pciefarm.config.ConfigLayout;
import io.pciefarm.config.ExpansionRom;
import io.pciefarm.config.LayoutBuilder;
import io.pciefarm.spec.AdvancedFeatures;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.PortType;
import io.pciefarm.spec.PowerManagement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One function of a device model: its config-space layout plus the behaviour the engines need
 * that registers do not express (quirks, readiness delays). Immutable; shared by every
 * instance.
 *
 * <p>Properties that registers do express are derived from the layout rather than declared
 * twice: FLR capability from Device Capabilities bit 28, PM reset from No_Soft_Reset, a slot
 * from the PCI Express Capabilities register.
 */
public final class FunctionModel {
  /** Linux waits this long after an FLR or a reset before the first config access. */
  public static final Duration DEFAULT_READY_DELAY = Duration.ofMillis(100);
  /** D3hot to D0 recovery time (PCI PM 1.2: 10 ms). */
  public static final Duration DEFAULT_D3HOT_DELAY = Duration.ofMillis(10);

  private final String description;
  private final ConfigLayout layout;
  private final PortType portType;
  private final Map<Integer, Bar> bars;
  private final ExpansionRom rom;
  private final Set<Quirk> quirks;
  private final Duration flrReadyDelay;
  private final Duration resetReadyDelay;
  private final Duration d3hotDelay;

  private FunctionModel(Spec s, ConfigLayout layout) {
    this.description = s.name;
    this.layout = layout;
    this.portType = s.portType;
    this.bars = Collections.unmodifiableMap(new TreeMap<>(s.bars));
    this.rom = s.rom;
    this.quirks = Collections.unmodifiableSet(s.quirks.isEmpty()
        ? EnumSet.noneOf(Quirk.class) : EnumSet.copyOf(s.quirks));
    this.flrReadyDelay = s.flrReadyDelay;
    this.resetReadyDelay = s.resetReadyDelay;
    this.d3hotDelay = s.d3hotDelay;
  }

  /** Starts a type 0 (endpoint) function. */
  public static Spec endpoint(String description) {
    return new Spec(description, false);
  }

  /** Starts a type 1 (bridge or port) function. */
  public static Spec bridge(String description) {
    return new Spec(description, true);
  }

  /** What lspci would print after the class name, e.g. "NVIDIA Corporation GA106 [...]". */
  public String description() {
    return description;
  }

  public ConfigLayout layout() {
    return layout;
  }

  /** The PCI Express port type, or null for a conventional PCI function. */
  public PortType portType() {
    return portType;
  }

  public boolean isExpress() {
    return portType != null;
  }

  /** True for a type 1 header: a root port, switch port or bridge. */
  public boolean isBridge() {
    return (layout.defaultValue(Header.HEADER_TYPE, 1) & 0x7F) == Header.HEADER_TYPE_BRIDGE;
  }

  public int vendorId() {
    return layout.defaultValue(Header.VENDOR_ID, 2);
  }

  public int deviceId() {
    return layout.defaultValue(Header.DEVICE_ID, 2);
  }

  /** 24-bit class code: base class, subclass, programming interface. */
  public int classCode() {
    return layout.defaultValue(Header.CLASS_PROG, 1) | layout.defaultValue(Header.CLASS_DEVICE, 2) << 8;
  }

  /** BARs by index (a 64-bit BAR is listed once, at its first index). */
  public Map<Integer, Bar> bars() {
    return bars;
  }

  /** The expansion ROM, or null. */
  public ExpansionRom rom() {
    return rom;
  }

  public Set<Quirk> quirks() {
    return quirks;
  }

  public boolean has(Quirk quirk) {
    return quirks.contains(quirk);
  }

  /** Time from an FLR until the function answers config requests with success. */
  public Duration flrReadyDelay() {
    return flrReadyDelay;
  }

  /** Time from the end of a conventional reset (bus, slot, power) until the function is ready. */
  public Duration resetReadyDelay() {
    return resetReadyDelay;
  }

  /** D3hot to D0 recovery time. */
  public Duration d3hotDelay() {
    return d3hotDelay;
  }

  /** Status bit 0: software may skip readiness delays. */
  public boolean immediateReadiness() {
    return (layout.defaultValue(Header.STATUS, 2) & Header.STATUS_IMMEDIATE_READINESS) != 0;
  }

  /** Device Capabilities bit 28: the function implements Function Level Reset. */
  public boolean flrCapable() {
    int exp = layout.capability(CapabilityId.EXP);
    return exp >= 0 && (layout.defaultValue(exp + PciExpress.DEVICE_CAPABILITIES, 4)
        & PciExpress.DEVCAP_FLR) != 0;
  }

  /** Advanced Features advertises both Transactions Pending and FLR, as Linux requires. */
  public boolean afFlrCapable() {
    int af = layout.capability(CapabilityId.AF);
    int need = AdvancedFeatures.CAP_TP | AdvancedFeatures.CAP_FLR;
    return af >= 0 && (layout.defaultValue(af + AdvancedFeatures.CAPABILITIES, 1) & need) == need;
  }

  /** A PM capability with No_Soft_Reset clear: D3hot to D0 claims to reset the function. */
  public boolean pmResetAdvertised() {
    int pm = layout.capability(CapabilityId.PM);
    return pm >= 0 && (layout.defaultValue(pm + PowerManagement.PMCSR, 2)
        & PowerManagement.PMCSR_NO_SOFT_RESET) == 0;
  }

  /** The PCI Express Capabilities register says a slot is implemented below this port. */
  public boolean hasSlot() {
    int exp = layout.capability(CapabilityId.EXP);
    return exp >= 0 && (layout.defaultValue(exp + PciExpress.CAPABILITIES, 2)
        & PciExpress.CAP_SLOT_IMPLEMENTED) != 0;
  }

  /** Smallest memory BAR in bytes, or 0 when the function has none. */
  public long smallestMemoryBar() {
    return bars.values().stream().filter(Bar::isMemory).mapToLong(Bar::size).min().orElse(0);
  }

  @Override
  public String toString() {
    return description;
  }

  /**
   * The declaration of a function. Fluent; {@link DeviceModel.Builder} builds it once it knows
   * whether the device has other functions (Header Type bit 7).
   */
  public static final class Spec {
    final String name;
    final boolean bridge;
    int vendorId = 0xFFFF;
    int deviceId = 0xFFFF;
    int subsystemVendorId;
    int subsystemId;
    int revision;
    int classCode = -1;
    int interruptPin;
    boolean express;
    PortType portType;
    boolean immediateReadiness;
    final Map<Integer, Bar> bars = new TreeMap<>();
    ExpansionRom rom;
    final List<Capability> capabilities = new ArrayList<>();
    final Set<Quirk> quirks = EnumSet.noneOf(Quirk.class);
    Duration flrReadyDelay = DEFAULT_READY_DELAY;
    Duration resetReadyDelay = DEFAULT_READY_DELAY;
    Duration d3hotDelay = DEFAULT_D3HOT_DELAY;

    private Spec(String name, boolean bridge) {
      if (name == null || name.isBlank() || name.indexOf('\n') >= 0) {
        throw new IllegalArgumentException("a function needs a one-line description");
      }
      this.name = name;
      this.bridge = bridge;
    }

    public Spec ids(int vendor, int device) {
      this.vendorId = check16("vendor ID", vendor);
      this.deviceId = check16("device ID", device);
      if (vendor == 0xFFFF || vendor == 0x0000 || vendor == 0x0001) {
        throw new IllegalArgumentException(String.format(
            "%s: vendor ID %04x is reserved (absent device / retry status)", name, vendor));
      }
      return this;
    }

    public Spec subsystem(int vendor, int device) {
      this.subsystemVendorId = check16("subsystem vendor ID", vendor);
      this.subsystemId = check16("subsystem ID", device);
      return this;
    }

    public Spec revision(int revision) {
      this.revision = revision & 0xFF;
      return this;
    }

    /** 24-bit class code, e.g. 0x010802 for an NVMe controller. */
    public Spec classCode(int classCode) {
      if ((classCode & ~0xFFFFFF) != 0) {
        throw new IllegalArgumentException(name + ": class code is 24 bits");
      }
      this.classCode = classCode;
      return this;
    }

    /** INTx pin: 1 (INTA) to 4 (INTD), or 0 for none. */
    public Spec interruptPin(int pin) {
      if (pin < 0 || pin > 4) {
        throw new IllegalArgumentException(name + ": interrupt pin must be 0..4");
      }
      this.interruptPin = pin;
      return this;
    }

    public Spec bar(int index, Bar bar) {
      if (bars.putIfAbsent(index, bar) != null) {
        throw new IllegalArgumentException(name + ": BAR" + index + " declared twice");
      }
      return this;
    }

    public Spec rom(ExpansionRom rom) {
      this.rom = rom;
      return this;
    }

    /** Makes the function PCI Express: 4096-byte config space and this port type. */
    public Spec express(PortType type) {
      if (type.isBridge() != bridge) {
        throw new IllegalArgumentException(name + ": port type " + type + " needs a type "
            + (type.isBridge() ? 1 : 0) + " header");
      }
      this.express = true;
      this.portType = type;
      return this;
    }

    /** Adds a capability; conventional and extended lists are placed in declaration order. */
    public Spec capability(Capability cap) {
      capabilities.add(cap);
      return this;
    }

    public Spec immediateReadiness(boolean immediate) {
      this.immediateReadiness = immediate;
      return this;
    }

    public Spec quirk(Quirk quirk) {
      quirks.add(quirk);
      return this;
    }

    public Spec flrReadyDelay(Duration delay) {
      this.flrReadyDelay = nonNegative(delay);
      return this;
    }

    public Spec resetReadyDelay(Duration delay) {
      this.resetReadyDelay = nonNegative(delay);
      return this;
    }

    public Spec d3hotDelay(Duration delay) {
      this.d3hotDelay = nonNegative(delay);
      return this;
    }

    FunctionModel build(boolean multiFunction) {
      if (vendorId == 0xFFFF) {
        throw new IllegalArgumentException(name + ": no vendor/device ID declared");
      }
      if (classCode < 0) {
        throw new IllegalArgumentException(name + ": no class code declared");
      }
      LayoutBuilder b = new LayoutBuilder(express ? ConfigLayout.PCIE_SIZE
          : ConfigLayout.CONVENTIONAL_SIZE);
      HeaderBuilder.common(b, this, bridge, multiFunction);
      if (bridge) {
        HeaderBuilder.type1(b, this);
      } else {
        HeaderBuilder.type0(b, this);
      }
      for (Capability cap : capabilities) {
        b.add(cap);
      }
      ConfigLayout layout = b.build();
      if (express && layout.capability(CapabilityId.EXP) < 0) {
        throw new IllegalArgumentException(name + ": a PCI Express function needs a PCI Express"
            + " capability");
      }
      return new FunctionModel(this, layout);
    }

    private int check16(String what, int v) {
      if ((v & ~0xFFFF) != 0) {
        throw new IllegalArgumentException(String.format("%s: %s %x is not 16 bits", name, what,
            v));
      }
      return v;
    }

    private Duration nonNegative(Duration d) {
      if (d == null || d.isNegative()) {
        throw new IllegalArgumentException(name + ": delays must be zero or positive");
      }
      return d;
    }
  }
}
