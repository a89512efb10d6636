package io.pciefarm.topology;

import static io.pciefarm.topology.Specs.build;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.config.ConfigAccessException;
import io.pciefarm.config.ConfigSpace;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.ExtendedCapabilities;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.PortType;
import io.pciefarm.spec.Type0;
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
    // Writes to the hidden drive's old address reach nothing: dropped, not applied.
    int line = nvme.config().read(Header.INTERRUPT_LINE, 1);
    int command = nvme.config().read(Header.COMMAND, 2);
    h.write(3, 0, 0, Header.INTERRUPT_LINE, 1, line ^ 0x5A);
    h.write(3, 0, 0, Header.COMMAND, 2, command ^ Header.COMMAND_MASTER);
    h.write(0, 1, 0, Type1.SUBORDINATE_BUS, 1, 5);
    assertEquals(0x144d, Specs.vendorAt(h, 3, 0, 0));
    assertEquals(line, h.read(3, 0, 0, Header.INTERRUPT_LINE, 1), "Interrupt Line unchanged");
    assertEquals(command, h.read(3, 0, 0, Header.COMMAND, 2), "Command unchanged");
    // ... while the same writes land once it is reachable again (the test could fail)
    h.write(3, 0, 0, Header.INTERRUPT_LINE, 1, line ^ 0x5A);
    assertEquals(line ^ 0x5A, nvme.config().read(Header.INTERRUPT_LINE, 1));
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
    assertResetState(h);
    // (firmware would have set what the reset state lacks: the check above is not vacuous)
    Hierarchy booted = build(SWITCHED);
    int exp = booted.lookup(0, 1 << 3).model().layout().capability(CapabilityId.EXP);
    assertEquals(PciExpress.RTCTL_RRS_SVE,
        booted.read(0, 1, 0, exp + PciExpress.ROOT_CONTROL, 2) & PciExpress.RTCTL_RRS_SVE);
    assertTrue(booted.groups().count() > 2);
    // ACS is off everywhere, so nothing below a root port is isolated: one group per root port.
    IsolationGroups groups = h.groups();
    assertEquals(2, groups.count());
    PciFunction rootPort1 = h.rootBus().function(1 << 3);
    assertEquals(h.subtree(rootPort1).size() + 1, groups.groupMates(rootPort1).size());
    // Enumerate as Linux does: depth-first, subordinate 0xff while scanning below a bridge.
    int[] next = {0};
    scan(h, 0, next);
    assertEquals(0x144d, Specs.vendorAt(h, 3, 0, 0));
    assertEquals(0x10de, Specs.vendorAt(h, 4, 0, 1));
    assertEquals(0x10ec, Specs.vendorAt(h, 5, 0, 0));
    assertBridge(h, 0, 1, 0, 1, 4);
    assertBridge(h, 0, 2, 0, 5, 5);
    assertEquals(5, next[0]);
    // Bus numbers alone assign nothing and isolate nothing: that is still the OS's job.
    assertResetState(h);
    assertEquals(2, h.groups().count());
    // Turning on ACS as Linux's pci_enable_acs does splits the groups as the booted system has.
    for (PciFunction f : h.functions()) {
      int acs = f.model().layout().extendedCapability(CapabilityId.EXT_ACS);
      if (acs >= 0) {
        int cap = f.config().read(acs + ExtendedCapabilities.ACS_CAPABILITY, 2);
        f.write(acs + ExtendedCapabilities.ACS_CONTROL, 2, cap & ExtendedCapabilities.ACS_ISOLATION);
      }
    }
    assertEquals(booted.groups().count(), h.groups().count());
  }

  /**
   * Every function as reset left it: no BAR or ROM address, no decode, bridge windows and bus
   * numbers at their reset values, ACS Control 0, Retry Status not software-visible.
   */
  private static void assertResetState(Hierarchy h) {
    for (PciFunction f : h.functions()) {
      ConfigSpace c = f.config();
      ConfigSpace reset = new ConfigSpace(f.model().layout());
      assertEquals(0, c.read(Header.COMMAND, 2), f + " Command");
      for (int bar : f.model().bars().keySet()) {
        assertEquals(reset.read(Header.BAR0 + 4 * bar, 4), c.read(Header.BAR0 + 4 * bar, 4),
            f + " BAR" + bar);
        assertEquals(0, c.read(Header.BAR0 + 4 * bar, 4) & ~0xF, f + " BAR" + bar + " address");
      }
      if (f.isBridge()) {
        for (int offset = Type1.IO_BASE; offset < Type1.ROM_ADDRESS + 4; offset += 4) {
          if (offset != Type1.IO_BASE) { // Secondary Status shares the dword
            assertEquals(reset.read(offset, 4), c.read(offset, 4), f + " window at " + offset);
          }
        }
        assertEquals(reset.read(Type1.IO_BASE, 2), c.read(Type1.IO_BASE, 2), f + " I/O window");
        assertEquals(Type1.PREF_RANGE_64, c.read(Type1.PREF_MEMORY_BASE, 2), f + " pref window");
        assertEquals(0, c.read(Type1.MEMORY_BASE, 4), f + " memory window");
      } else if (f.model().rom() != null) {
        assertEquals(0, c.read(Type0.ROM_ADDRESS, 4), f + " ROM");
      }
      int acs = f.model().layout().extendedCapability(CapabilityId.EXT_ACS);
      if (acs >= 0) {
        assertEquals(0, c.read(acs + ExtendedCapabilities.ACS_CONTROL, 2), f + " ACS Control");
      }
      int exp = f.model().layout().capability(CapabilityId.EXP);
      if (exp >= 0 && f.model().portType() == PortType.ROOT_PORT) {
        assertEquals(0, c.read(exp + PciExpress.ROOT_CONTROL, 2) & PciExpress.RTCTL_RRS_SVE,
            f + " RRS Software Visibility");
      }
    }
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
