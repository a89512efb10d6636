package io.pciefarm.bench.reset;

import io.pciefarm.proto.v1.DeviceSpec;
import io.pciefarm.proto.v1.HierarchySpec;
import io.pciefarm.spec.Type1;
import io.pciefarm.time.ManualClock;
import io.pciefarm.time.TimeBase;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.HierarchyBuilder;
import io.pciefarm.topology.PciFunction;

/**
 * A side finding of the reset fan-out work, reproduced: a secondary bus reset returns ACS
 * Control of the downstream ports below to 0 (it is not sticky), which merges isolation groups,
 * but nothing invalidates the cached {@code Hierarchy.groups()}: the reset engine changes the
 * registers without a write, so the groups version is not bumped. Two identical hierarchies
 * (a root port with ACS, a switch, two ACS downstream ports with an NVMe drive each) are reset
 * the same way; the one whose groups were computed before the reset keeps reporting them.
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar io.pciefarm.bench.reset.GroupsAfterBusReset
 * </pre>
 */
public final class GroupsAfterBusReset {
  private GroupsAfterBusReset() {}

  public static void main(String[] args) {
    Hierarchy cached = build();
    Hierarchy fresh = build();
    int before = cached.groups().count();
    busReset(cached);
    busReset(fresh);
    System.out.printf("isolation groups: %d before the bus reset; after it %d from the cache,"
        + " %d when first computed after it%n", before, cached.groups().count(),
        fresh.groups().count());
  }

  private static Hierarchy build() {
    DeviceSpec.Builder usp = DeviceSpec.newBuilder().setDevice(0)
        .setModel("switch-upstream-port");
    for (int d = 0; d < 2; d++) {
      usp.addChildren(DeviceSpec.newBuilder().setDevice(d).setModel("switch-downstream-port")
          .addChildren(DeviceSpec.newBuilder().setDevice(0).setModel("nvme-ssd")));
    }
    HierarchySpec spec = HierarchySpec.newBuilder().setName("groups").setSegment(0)
        .addDevices(DeviceSpec.newBuilder().setDevice(1).setModel("root-port-acs")
            .addChildren(usp))
        .build();
    return HierarchyBuilder.build(spec, new TimeBase(new ManualClock(), 0.0));
  }

  private static void busReset(Hierarchy h) {
    PciFunction port = h.lookup(0, 1 << 3);
    int bc = port.config().read(Type1.BRIDGE_CONTROL, 2);
    port.config().write(Type1.BRIDGE_CONTROL, 2, bc | Type1.BRIDGE_CTL_BUS_RESET);
    port.config().write(Type1.BRIDGE_CONTROL, 2, bc);
  }
}
