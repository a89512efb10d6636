package io.pciefarm.bench.reset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.pciefarm.bench.reset.FanoutTopology.Shape;
import io.pciefarm.time.ManualClock;
import io.pciefarm.time.TimeBase;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.HierarchyBuilder;
import io.pciefarm.topology.PciFunction;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FanoutTopologyTest {
  @ParameterizedTest
  @CsvSource({"PCI,1", "PCI,2", "PCI,8", "PCI,33", "PCI,64", "PCI,512", "PCI,1000",
      "SWITCH,1", "SWITCH,2", "SWITCH,8", "SWITCH,64", "SWITCH,97", "SWITCH,100", "SWITCH,512",
      "SWITCH,81", "SWITCH,83", "SWITCH,600"})
  void exactlyNFunctionsBelowTheRootPortAllReachable(Shape shape, int n) {
    Hierarchy h = HierarchyBuilder.build(FanoutTopology.spec(shape, n),
        new TimeBase(new ManualClock(), 0.0));
    PciFunction port = h.lookup(0, FanoutTopology.ROOT_PORT_DEVICE << 3);
    assertNotNull(port);
    assertEquals(n, h.subtree(port).size());
    assertEquals(n + 1, h.functions().size());
    for (PciFunction f : h.subtree(port)) {
      assertNotNull(f.address(), f + " is not reachable after enumeration");
    }
  }
}
