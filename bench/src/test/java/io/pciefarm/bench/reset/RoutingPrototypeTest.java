package io.pciefarm.bench.reset;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.bench.reset.FanoutTopology.Shape;
import io.pciefarm.spec.Type1;
import io.pciefarm.time.ManualClock;
import io.pciefarm.time.TimeBase;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.HierarchyBuilder;
import io.pciefarm.topology.PciFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RoutingPrototypeTest {
  @ParameterizedTest
  @CsvSource({"PCI,1", "PCI,8", "PCI,64", "PCI,512", "SWITCH,8", "SWITCH,64", "SWITCH,512"})
  void sameTableAsTheServerEnumeratedInResetAndAfter(Shape shape, int n) {
    Hierarchy h = HierarchyBuilder.build(FanoutTopology.spec(shape, n),
        new TimeBase(new ManualClock(), 0.0));
    RoutingPrototype p = new RoutingPrototype(h);
    assertTrue(p.matches(h), "enumerated");
    PciFunction port = h.lookup(0, FanoutTopology.ROOT_PORT_DEVICE << 3);
    int bc = port.config().read(Type1.BRIDGE_CONTROL, 2);
    port.config().write(Type1.BRIDGE_CONTROL, 2, bc | Type1.BRIDGE_CTL_BUS_RESET);
    assertTrue(p.matches(h), "SBR asserted");
    port.config().write(Type1.BRIDGE_CONTROL, 2, bc);
    assertTrue(p.matches(h), "after the reset");
    // Overlapping, out-of-order windows: a bridge below claiming numbers an earlier one holds.
    for (PciFunction f : h.subtree(port)) {
      if (f.isBridge()) {
        f.config().write(Type1.PRIMARY_BUS, 4, 0x00_05_03_01);
      }
    }
    port.config().write(Type1.PRIMARY_BUS, 4, 0x00_09_02_00);
    assertTrue(p.matches(h), "misprogrammed windows");
  }
}
