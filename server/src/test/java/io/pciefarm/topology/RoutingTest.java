package io.pciefarm.topology;

import static io.pciefarm.topology.Specs.build;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.config.ConfigAccessException;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.Type1;
import org.junit.jupiter.api.Test;

class RoutingTest {
  /** Root port 1 -> switch (up, down 0 -> nvme, down 1 -> gpu); root port 2 -> nic. */
  private static final String SWITCHED = """
      {"name":"h","segment":7,"devices":[
        {"device":1,"model":"root-port-acs","children":[
          {"device":0,"model":"switch-upstream-port","children":[
            {"device":0,"model":"switch-downstream-port","children":[{"device":0,"model":"nvme-ssd"}]},
            {"device":1,"model":"switch-downstream-port","children":[{"device":0,"model":"gpu"}]}]}]},
        {"device":2,"model":"root-port","children":[{"device":0,"model":"nic-flr-hang"}]}]}""";

  @Test
  void firmwareNumbersBusesDepthFirst() {
    Hierarchy h = build(SWITCHED);
    // 00:01.0 [01-04] -> 01:00.0 up [02-04] -> 02:00.0 [03] nvme, 02:01.0 [04] gpu;
    // then 00:02.0 [05]: numbers follow depth-first order.
    assertBridge(h, 0, 1, 0, 1, 4);
    assertBridge(h, 1, 0, 1, 2, 4);
    assertBridge(h, 2, 0, 2, 3, 3);
    assertBridge(h, 2, 1, 2, 4, 4);
    assertBridge(h, 0, 2, 0, 5, 5);
    assertEquals(0x144d, Specs.vendorAt(h, 3, 0, 0));
    assertEquals(0x10de, Specs.vendorAt(h, 4, 0, 0));
    assertEquals(0x10de, Specs.vendorAt(h, 4, 0, 1));
    assertEquals(0x10ec, Specs.vendorAt(h, 5, 0, 0));
    assertEquals("0007:04:00.1", h.lookup(4, 1).address().toString());
  }

  private static void assertBridge(Hierarchy h, int bus, int dev, int primary, int secondary,
      int subordinate) {
    assertEquals(primary, h.read(bus, dev, 0, Type1.PRIMARY_BUS, 1), "primary");
    assertEquals(secondary, h.read(bus, dev, 0, Type1.SECONDARY_BUS, 1), "secondary");
    assertEquals(subordinate, h.read(bus, dev, 0, Type1.SUBORDINATE_BUS, 1), "subordinate");
  }

  @Test
  void emptyAddressesReadAllOnesAndDropWrites() {
    Hierarchy h = build(SWITCHED);
    assertEquals(0xFF, h.read(3, 1, 0, 0, 1));
    assertEquals(0xFFFF, h.read(3, 1, 0, 0, 2));
    assertEquals(0xFFFFFFFF, h.read(3, 1, 0, 0, 4));
    assertEquals(0xFFFFFFFF, h.read(200, 0, 0, 0, 4));
    assertEquals(0xFFFF, h.read(3, 0, 5, 0, 2));
    h.write(200, 0, 0, Header.COMMAND, 2, 0x6); // dropped, nothing to observe, no error
  }

  @Test
  void badAddressesAndAccessesAreRejected() {
    Hierarchy h = build(SWITCHED);
    assertThrows(IllegalArgumentException.class, () -> h.read(256, 0, 0, 0, 4));
    assertThrows(IllegalArgumentException.class, () -> h.read(0, 32, 0, 0, 4));
    assertThrows(IllegalArgumentException.class, () -> h.read(0, 0, 8, 0, 4));
    assertThrows(IllegalArgumentException.class, () -> h.read(-1, 0, 0, 0, 4));
    // Bad offsets are errors even where nothing answers.
    assertThrows(ConfigAccessException.class, () -> h.read(200, 0, 0, 2, 4));
    assertThrows(ConfigAccessException.class, () -> h.write(200, 0, 0, 4096, 1, 0));
    assertThrows(ConfigAccessException.class, () -> h.read(3, 0, 0, 0, 3));
  }

  @Test
  void renumberingMovesTheSubtree() {
    Hierarchy h = build(SWITCHED);
    // Move root port 2's secondary bus from 5 to 0x40.
    h.write(0, 2, 0, Type1.SECONDARY_BUS, 1, 0x40);
    h.write(0, 2, 0, Type1.SUBORDINATE_BUS, 1, 0x40);
    assertEquals(0xFFFF, Specs.vendorAt(h, 5, 0, 0));
    assertEquals(0x10ec, Specs.vendorAt(h, 0x40, 0, 0));
    assertEquals("0007:40:00.0", h.lookup(0x40, 0).address().toString());
    // A dword write of all three numbers at once works as Linux's pci_scan_bridge does it.
    h.write(0, 2, 0, Type1.PRIMARY_BUS, 4, 0x00_41_41_00);
    assertEquals(0x10ec, Specs.vendorAt(h, 0x41, 0, 0));
    assertEquals(0xFFFF, Specs.vendorAt(h, 0x40, 0, 0));
  }

  @Test
  void narrowingSubordinateMakesDeeperBusesUnreachable() {
    Hierarchy h = build(SWITCHED);
    PciFunction nvme = h.lookup(3, 0);
    h.write(0, 1, 0, Type1.SUBORDINATE_BUS, 1, 2); // root port now forwards only 1..2
    assertEquals(0xFFFF, Specs.vendorAt(h, 3, 0, 0));
    assertEquals(0x10b5, Specs.vendorAt(h, 2, 0, 0), "the downstream ports on bus 2 still answer");
    assertNull(nvme.address());
    h.write(0, 1, 0, Type1.SUBORDINATE_BUS, 1, 5);
    assertEquals(0x144d, Specs.vendorAt(h, 3, 0, 0));
  }

  @Test
  void subordinateBelowSecondaryRoutesNothingFurther() {
    Hierarchy h = build(SWITCHED);
    h.write(0, 1, 0, Type1.SUBORDINATE_BUS, 1, 0);
    assertEquals(0xFFFF, Specs.vendorAt(h, 1, 0, 0));
    assertEquals(0xFFFF, Specs.vendorAt(h, 3, 0, 0));
  }

  @Test
  void secondaryBusResetHidesTheSubtreeWhileAsserted() {
    Hierarchy h = build(SWITCHED);
    h.write(0, 2, 0, Type1.BRIDGE_CONTROL, 2, Type1.BRIDGE_CTL_BUS_RESET);
    assertEquals(0xFFFF, Specs.vendorAt(h, 5, 0, 0));
    assertEquals(null, h.lookup(5, 0));
  }

  @Test
  void unprogrammedHierarchyShowsOnlyTheRootBusUntilEnumerated() {
    Hierarchy h = build(SWITCHED.replace("\"segment\":7,", "\"segment\":7,\"unprogrammed\":true,"));
    assertEquals(0x8086, Specs.vendorAt(h, 0, 1, 0));
    assertEquals(0, h.read(0, 1, 0, Type1.SECONDARY_BUS, 1));
    for (int bus = 1; bus < 256; bus++) {
      assertEquals(0xFFFF, Specs.vendorAt(h, bus, 0, 0), "bus " + bus);
    }
    assertEquals(0, h.read(0, 1, 0, Header.BAR0, 4), "no BAR assigned");
    // Enumerate as Linux does: depth-first, subordinate 0xff while scanning below a bridge.
    int[] next = {0};
    scan(h, 0, next);
    assertEquals(0x144d, Specs.vendorAt(h, 3, 0, 0));
    assertEquals(0x10de, Specs.vendorAt(h, 4, 0, 1));
    assertEquals(0x10ec, Specs.vendorAt(h, 5, 0, 0));
    assertBridge(h, 0, 1, 0, 1, 4);
    assertBridge(h, 0, 2, 0, 5, 5);
    assertEquals(5, next[0]);
  }

  /** An OS-style scan: probe every device on {@code bus}, program bridges as found. */
  private static int scan(Hierarchy h, int bus, int[] last) {
    for (int dev = 0; dev < 32; dev++) {
      for (int fn = 0; fn < 8; fn++) {
        if (h.read(bus, dev, fn, 0, 2) == 0xFFFF) {
          if (fn == 0) {
            break;
          }
          continue;
        }
        if ((h.read(bus, dev, fn, Header.HEADER_TYPE, 1) & 0x7F) == 1) {
          int secondary = ++last[0];
          h.write(bus, dev, fn, Type1.PRIMARY_BUS, 4, 0xFF << 16 | secondary << 8 | bus);
          int subordinate = scan(h, secondary, last);
          h.write(bus, dev, fn, Type1.SUBORDINATE_BUS, 1, subordinate);
        }
      }
    }
    return last[0];
  }
}
