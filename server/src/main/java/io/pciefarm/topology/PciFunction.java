package io.pciefarm.topology;

import io.pciefarm.config.ConfigSpace;
import io.pciefarm.config.HookedRegister;
import io.pciefarm.config.RegisterListener;
import io.pciefarm.device.DeviceModel;
import io.pciefarm.device.FunctionModel;
import io.pciefarm.spec.Type1;

/**
 * One live function in a hierarchy: a model, its config space, and where it sits. It hears the
 * writes to its hooked registers and turns them into hierarchy events (a bus-number write
 * republishes routing, an ACS Control write regroups).
 */
public final class PciFunction implements RegisterListener {
  private final Hierarchy hierarchy;
  private final Bus bus;
  private final int devfn;
  private final DeviceModel device;
  private final FunctionModel model;
  private final ConfigSpace config;
  private final boolean host;
  private final String label;
  private Bus secondary;

  PciFunction(Hierarchy hierarchy, Bus bus, int devfn, DeviceModel device, FunctionModel model,
      boolean host, String label) {
    this.hierarchy = hierarchy;
    this.bus = bus;
    this.devfn = devfn;
    this.device = device;
    this.model = model;
    this.config = new ConfigSpace(model.layout());
    this.host = host;
    this.label = label;
  }

  public Hierarchy hierarchy() {
    return hierarchy;
  }

  /** The physical bus this function sits on. */
  public Bus bus() {
    return bus;
  }

  /** The physical bus below this bridge, or null for a non-bridge. */
  public Bus secondary() {
    return secondary;
  }

  void secondary(Bus secondary) {
    this.secondary = secondary;
  }

  public int devfn() {
    return devfn;
  }

  public int deviceNumber() {
    return devfn >>> 3;
  }

  public int functionNumber() {
    return devfn & 7;
  }

  /** The device model this function belongs to (all functions of the device share it). */
  public DeviceModel deviceModel() {
    return device;
  }

  public FunctionModel model() {
    return model;
  }

  public ConfigSpace config() {
    return config;
  }

  /** True when the function stays with the host and is never assignable. */
  public boolean isHost() {
    return host;
  }

  /** A label for people, or the empty string. */
  public String label() {
    return label;
  }

  public boolean isBridge() {
    return secondary != null;
  }

  /** The bridge directly above this function, or null on the root bus. */
  public PciFunction upstreamBridge() {
    return bus.bridge();
  }

  /** The live Secondary Bus Number register (bridges). */
  public int secondaryBusNumber() {
    return config.read(Type1.SECONDARY_BUS, 1);
  }

  /** The live Subordinate Bus Number register (bridges). */
  public int subordinateBusNumber() {
    return config.read(Type1.SUBORDINATE_BUS, 1);
  }

  /**
   * True when this bridge passes config requests to its secondary side: not while Secondary Bus
   * Reset is asserted in Bridge Control, when the link below is down and the subtree answers
   * nothing.
   */
  public boolean forwardsConfigRequests() {
    return (config.read(Type1.BRIDGE_CONTROL, 2) & Type1.BRIDGE_CTL_BUS_RESET) == 0;
  }

  /**
   * The address config requests reach this function at now, or null when no bus number routes
   * to its bus (bridges above it are not programmed or point elsewhere).
   */
  public PciAddress address() {
    int number = hierarchy.routing().numberOf(bus);
    return number < 0 ? null
        : new PciAddress(hierarchy.segment(), number, deviceNumber(), functionNumber());
  }

  @Override
  public void registerWritten(ConfigSpace space, HookedRegister register, int oldValue,
      int newValue, int written) {
    switch (register.register()) {
      case BUS_NUMBERS -> {
        if (oldValue != newValue) {
          hierarchy.routingChanged();
        }
      }
      case BRIDGE_CONTROL -> {
        if (((oldValue ^ newValue) & Type1.BRIDGE_CTL_BUS_RESET) != 0) {
          hierarchy.routingChanged();
        }
      }
      case ACS_CONTROL -> {
        if (oldValue != newValue) {
          hierarchy.groupsChanged();
        }
      }
      default -> { }
    }
  }

  @Override
  public String toString() {
    PciAddress a = address();
    return (a == null ? "(unreachable)" : a.toString()) + " " + device.name()
        + (device.isMultiFunction() ? "." + functionNumber() : "");
  }
}
