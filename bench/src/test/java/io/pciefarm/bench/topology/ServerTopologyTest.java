package io.pciefarm.bench.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.pciefarm.farm.Farm;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciFunction;
import org.junit.jupiter.api.Test;

class ServerTopologyTest {
  @Test
  void sixtyFourFunctionsEveryOneReachableWhenEnumerated() {
    Farm farm = new Farm();
    Hierarchy h = farm.create(ServerTopology.copy(ServerTopology.template(), 7, false));
    assertEquals("server-7", h.name());
    assertEquals(7, h.segment());
    assertEquals(ServerTopology.FUNCTIONS, h.functions().size());
    for (PciFunction f : h.functions()) {
      assertNotNull(f.address(), f + " is not reachable");
      assertEquals(f.model().vendorId(), h.read(f.address().bus(), f.address().device(),
          f.address().function(), 0, 2));
    }
  }

  @Test
  void unprogrammedReachesOnlyTheRootBus() {
    Hierarchy h = new Farm().create(ServerTopology.copy(ServerTopology.template(), 1, true));
    assertEquals(ServerTopology.FUNCTIONS, h.functions().size());
    assertEquals(16, h.functions().stream().filter(f -> f.address() != null).count());
  }
}
