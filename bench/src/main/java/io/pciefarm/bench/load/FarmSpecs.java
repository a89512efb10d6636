package io.pciefarm.bench.load;

import io.pciefarm.proto.v1.DeviceSpec;
import io.pciefarm.proto.v1.HierarchySpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The generated farm the embedded server hosts: {@code h} identical hierarchies, one per
 * segment, each with something for every scenario.
 *
 * <pre>
 *   00:01.0 root-port-hotplug-acs, slot 1 ── nvme-ssd          (FLR, bus and slot reset)
 *   00:02.0 root-port-acs ── switch-upstream-port ──┬ downstream port, slot 10 ── nvme-ssd
 *                                                   ├ downstream port, slot 11 ── nvme-ssd
 *                                                   ├ downstream port, slot 12 ── nvme-ssd
 *                                                   └ downstream port, slot 13 ── nvme-ssd
 *   00:03.0 root-port-hotplug-acs, slot 2 (empty: hot-plug churn)
 *   00:04.0 root-port-hotplug-acs, slot 3 (empty: hot-plug churn)
 * </pre>
 *
 * 14 functions. The switch is the contended subtree: a bus reset of its internal bus reaches
 * the four downstream ports and the four drives, so it overlaps every FLR and slot reset below.
 */
public final class FarmSpecs {
  /** Functions per generated hierarchy. */
  public static final int FUNCTIONS_PER_HIERARCHY = 14;

  private FarmSpecs() {}

  /** Name of the generated hierarchy {@code i}. */
  public static String name(int i) {
    return String.format("load-%05d", i);
  }

  public static HierarchySpec hierarchy(int i, double timeScale) {
    DeviceSpec.Builder sw = DeviceSpec.newBuilder().setDevice(0).setModel("switch-upstream-port");
    for (int d = 0; d < 4; d++) {
      sw.addChildren(DeviceSpec.newBuilder().setDevice(d)
          .setModel("switch-downstream-port-hotplug").setSlot(10 + d)
          .addChildren(nvme("bay " + (10 + d))));
    }
    return HierarchySpec.newBuilder()
        .setName(name(i))
        .setSegment(i)
        .setDescription("load generator hierarchy " + i)
        .setTimeScale(timeScale)
        .addDevices(DeviceSpec.newBuilder().setDevice(1).setModel("root-port-hotplug-acs")
            .setSlot(1).addChildren(nvme("slot 1")))
        .addDevices(DeviceSpec.newBuilder().setDevice(2).setModel("root-port-acs")
            .setLabel("switch uplink").addChildren(sw))
        .addDevices(DeviceSpec.newBuilder().setDevice(3).setModel("root-port-hotplug-acs")
            .setSlot(2).setLabel("churn slot 2"))
        .addDevices(DeviceSpec.newBuilder().setDevice(4).setModel("root-port-hotplug-acs")
            .setSlot(3).setLabel("churn slot 3"))
        .build();
  }

  public static List<HierarchySpec> farm(int hierarchies, double timeScale) {
    if (hierarchies < 1 || hierarchies > 0x10000) {
      throw new IllegalArgumentException("hierarchies must be 1..65536, not " + hierarchies);
    }
    List<HierarchySpec> out = new ArrayList<>(hierarchies);
    for (int i = 0; i < hierarchies; i++) {
      out.add(hierarchy(i, timeScale));
    }
    return out;
  }

  private static DeviceSpec.Builder nvme(String label) {
    return DeviceSpec.newBuilder().setDevice(0).setModel("nvme-ssd").setLabel(label);
  }
}
