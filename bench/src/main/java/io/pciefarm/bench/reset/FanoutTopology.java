package io.pciefarm.bench.reset;

import io.pciefarm.proto.v1.DeviceSpec;
import io.pciefarm.proto.v1.HierarchySpec;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciFunction;
import java.util.ArrayList;
import java.util.List;

/**
 * Hierarchies with exactly {@code n} functions below one root port (0000:00:01.0, the bridge the
 * reset fan-out benchmark resets), built only from catalog models. Two shapes:
 * <ul>
 *   <li>{@link Shape#PCI}: conventional PCI fan-out, few links. The root port holds a switch
 *       upstream port; each of its downstream ports holds a PCIe-to-PCI bridge with up to 30
 *       single-function conventional cards ({@code pci-e1000} and {@code pci-es1371}
 *       alternating), spread as evenly as possible. 512 functions: 16 downstream ports, so 17
 *       links train after the reset.
 *   <li>{@link Shape#SWITCH}: one PCIe link per card, as a storage or NIC shelf. The switch's
 *       downstream ports hold dual-function NICs ({@code nic-sriov}) and NVMe drives
 *       alternating (2.5 functions a port); when that does not fit in the switch's 32 ports,
 *       second-level switches (a downstream port holding an upstream port with up to 32
 *       downstream ports, 82 functions when full) take the rest first. 512 functions: 6
 *       second-level switches and 8 more ports, 13 of them with cards: 206 links. At most
 *       about 620 functions (256 bus numbers).
 * </ul>
 * For {@code n == 1} both are the root port with one NVMe drive below it. The catalog has no
 * multi-function conventional device and no conventional PCI-to-PCI bridge, so a PCIe-to-PCI
 * bridge holds at most 32 functions and wider fan-outs need the switch; downstream ports are
 * the models without hot-plug slots, so that every card comes back after a reset without the
 * OS re-enabling slot power.
 */
public final class FanoutTopology {
  /** Where the root port under test sits. */
  public static final int ROOT_PORT_DEVICE = 1;
  /** Conventional cards per PCIe-to-PCI bridge, at most (a bus has 32 device numbers). */
  static final int CARDS_PER_BRIDGE = 30;
  /** Downstream ports per switch (device numbers on the switch's internal bus). */
  static final int PORTS_PER_SWITCH = 32;

  /** The shape of the subtree. */
  public enum Shape {
    PCI,
    SWITCH
  }

  private FanoutTopology() {}

  /** A hierarchy (segment 0) with exactly {@code n} functions below the root port at 00:01.0. */
  public static HierarchySpec spec(Shape shape, int n) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be at least 1");
    }
    DeviceSpec.Builder port = DeviceSpec.newBuilder().setDevice(ROOT_PORT_DEVICE)
        .setModel("root-port");
    if (n == 1) {
      port.addChildren(card(0, "nvme-ssd"));
    } else {
      DeviceSpec.Builder usp = DeviceSpec.newBuilder().setDevice(0)
          .setModel("switch-upstream-port");
      List<DeviceSpec> ports = shape == Shape.PCI ? pciPorts(n - 1) : switchPorts(n - 1);
      if (ports.size() > PORTS_PER_SWITCH) {
        throw new IllegalArgumentException(n + " functions do not fit below one switch");
      }
      usp.addAllChildren(ports);
      port.addChildren(usp);
    }
    return HierarchySpec.newBuilder()
        .setName("fanout-" + shape.name().toLowerCase(java.util.Locale.ROOT) + "-" + n)
        .setSegment(0)
        .setDescription(n + " functions below the root port at 00:01.0 (" + shape + ")")
        .addDevices(port)
        .build();
  }

  /** Downstream ports with PCIe-to-PCI bridges holding {@code total} functions in all. */
  private static List<DeviceSpec> pciPorts(int total) {
    int per = CARDS_PER_BRIDGE + 2; // downstream port + bridge + cards
    int groups = (total + per - 1) / per;
    List<DeviceSpec> out = new ArrayList<>();
    for (int g = 0; g < groups; g++) {
      int size = total / groups + (g < total % groups ? 1 : 0);
      DeviceSpec.Builder dsp = DeviceSpec.newBuilder().setDevice(g)
          .setModel("switch-downstream-port");
      if (size >= 2) {
        DeviceSpec.Builder bridge = DeviceSpec.newBuilder().setDevice(0)
            .setModel("pcie-to-pci-bridge");
        for (int c = 0; c < size - 2; c++) {
          bridge.addChildren(card(c, c % 2 == 0 ? "pci-e1000" : "pci-es1371"));
        }
        dsp.addChildren(bridge);
      }
      out.add(dsp.build());
    }
    return out;
  }

  /** Downstream ports each with one card (or a second-level switch): {@code total} functions. */
  private static List<DeviceSpec> switchPorts(int total) {
    List<DeviceSpec> out = new ArrayList<>();
    int remaining = total;
    int fullSubSwitch = 2 + PORTS_PER_SWITCH / 2 * (1 + 2) + PORTS_PER_SWITCH / 2 * (1 + 1);
    // Cards alternate NIC (port + 2 functions) and NVMe (port + 1): 2.5 functions a port.
    while (remaining > (PORTS_PER_SWITCH - out.size()) * 5 / 2) {
      int size = Math.min(remaining, fullSubSwitch);
      DeviceSpec.Builder usp = DeviceSpec.newBuilder().setDevice(0)
          .setModel("switch-upstream-port").addAllChildren(cards(size - 2));
      out.add(DeviceSpec.newBuilder().setDevice(out.size()).setModel("switch-downstream-port")
          .addChildren(usp).build());
      remaining -= size;
    }
    for (DeviceSpec d : cards(remaining)) {
      out.add(d.toBuilder().setDevice(out.size()).build());
    }
    return out;
  }

  /** Downstream ports with a NIC or an NVMe drive each, alternating: {@code total} functions. */
  private static List<DeviceSpec> cards(int total) {
    List<DeviceSpec> out = new ArrayList<>();
    int remaining = total;
    boolean nic = true;
    while (remaining > 0) {
      int d = out.size();
      if (remaining == 1) {
        out.add(DeviceSpec.newBuilder().setDevice(d).setModel("switch-downstream-port").build());
        remaining -= 1;
      } else if (remaining == 2 || remaining == 4 || !nic) {
        out.add(portWith(d, "nvme-ssd"));
        remaining -= 2;
        nic = true;
      } else {
        out.add(portWith(d, "nic-sriov"));
        remaining -= 3;
        nic = false;
      }
    }
    if (out.size() > PORTS_PER_SWITCH) {
      throw new IllegalArgumentException(total + " functions do not fit below one switch");
    }
    return out;
  }

  /**
   * Links that train when everything below {@code port} is reset: {@code port}'s own and every
   * occupied one below it. Each one that comes up republishes routing.
   */
  public static int links(Hierarchy h, PciFunction port) {
    int links = port.hasLinkBelow() && !port.secondary().functions().isEmpty() ? 1 : 0;
    for (PciFunction f : h.subtree(port)) {
      if (f.hasLinkBelow() && !f.secondary().functions().isEmpty()) {
        links++;
      }
    }
    return links;
  }

  private static DeviceSpec portWith(int device, String model) {
    return DeviceSpec.newBuilder().setDevice(device).setModel("switch-downstream-port")
        .addChildren(card(0, model)).build();
  }

  private static DeviceSpec card(int device, String model) {
    return DeviceSpec.newBuilder().setDevice(device).setModel(model).build();
  }
}
