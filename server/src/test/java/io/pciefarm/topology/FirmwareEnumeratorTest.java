package io.pciefarm.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.pciefarm.config.Bar;
import io.pciefarm.config.ConfigSpace;
import io.pciefarm.config.ExpansionRom;
import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.proto.v1.DeviceSpec;
import io.pciefarm.proto.v1.HierarchySpec;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.Type0;
import io.pciefarm.spec.Type1;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The address map firmware leaves behind, read back from the registers as an OS reads it:
 * BARs and expansion ROMs naturally aligned and disjoint, each bridge window holding exactly its
 * subtree's resources and nested in its parent's, empty windows closed, decode enabled.
 */
class FirmwareEnumeratorTest {

  /** The bridge window a resource is routed through, by how firmware pools it. */
  enum Window { IO, MEMORY, PREFETCHABLE }

  /** One decoded resource: a BAR (index 0..5) or the expansion ROM (index -1). */
  record Resource(PciFunction owner, int index, Window window, long base, long size) {
    long end() {
      return base + size - 1;
    }

    boolean overlaps(long lo, long hi) {
      return base <= hi && lo <= end();
    }

    @Override
    public String toString() {
      return String.format("%s %s [%x-%x]", owner, index < 0 ? "ROM" : "BAR" + index, base,
          end());
    }
  }

  /** A decoded window; {@code closed} when base > limit. */
  record Range(long base, long limit) {
    boolean closed() {
      return base > limit;
    }

    boolean contains(long lo, long hi) {
      return !closed() && base <= lo && hi <= limit;
    }

    boolean overlaps(Range o) {
      return !closed() && !o.closed() && base <= o.limit && o.base <= limit;
    }
  }

  static List<String> examples() {
    return TopologyFiles.EXAMPLES;
  }

  private static Hierarchy example(String name) {
    return HierarchyBuilder.build(TopologyFiles.example(name));
  }

  @ParameterizedTest
  @MethodSource("examples")
  void everyBarIsAssignedNaturallyAlignedAndDisjoint(String example) {
    Hierarchy h = example(example);
    List<Resource> all = resources(h.functions());
    // the rack of empty slots has ports only, and ports here have no BARs
    assertEquals(!example.equals("hotplug-rack.json"), !all.isEmpty(), example);
    for (Resource r : all) {
      assertTrue(r.base() != 0, "unassigned: " + r);
    }
    checkResources(all);
  }

  @ParameterizedTest
  @MethodSource("examples")
  void eachWindowHoldsExactlyItsSubtreeAndNestsInItsParent(String example) {
    checkWindows(example(example));
  }

  @ParameterizedTest
  @MethodSource("examples")
  void decodeIsEnabledForWhatEachFunctionHas(String example) {
    checkDecode(example(example));
  }

  /**
   * More than the pools hold: 120 GPUs behind 30 switches exhaust the 32-bit memory pool (each
   * needs 16 MiB aligned to 16 MiB) and the I/O ports (a 4 KiB window per port); an NVMe drive
   * after them finds no 32-bit space. What does not
   * fit stays at 0 with its decode off, as Linux reports "can't assign"; what fits still obeys
   * every rule.
   */
  @Test
  void spaceThatRunsOutStaysUnassignedAndUndecoded() {
    HierarchySpec.Builder spec = HierarchySpec.newBuilder().setName("crowded");
    for (int rp = 0; rp < 30; rp++) {
      DeviceSpec.Builder sw = DeviceSpec.newBuilder().setDevice(0)
          .setModel("switch-upstream-port");
      for (int d = 0; d < 4; d++) {
        sw.addChildren(DeviceSpec.newBuilder().setDevice(d).setModel("switch-downstream-port")
            .addChildren(DeviceSpec.newBuilder().setDevice(0).setModel("gpu")));
      }
      spec.addDevices(DeviceSpec.newBuilder().setDevice(rp).setModel("root-port-acs")
          .addChildren(sw));
    }
    // assigned last, when the 32-bit pool is gone: its only BAR is 64-bit non-prefetchable
    spec.addDevices(DeviceSpec.newBuilder().setDevice(30).setModel("root-port-acs")
        .addChildren(DeviceSpec.newBuilder().setDevice(0).setModel("nvme-ssd")));
    Hierarchy h = HierarchyBuilder.build(spec.build());
    List<Resource> all = resources(h.functions());
    List<Resource> assigned = all.stream().filter(r -> r.base() != 0).toList();
    for (Window w : Window.values()) {
      List<Resource> ofKind = all.stream().filter(r -> r.window() == w).toList();
      assertTrue(ofKind.stream().anyMatch(r -> r.base() != 0), w + ": some fit");
      if (w != Window.PREFETCHABLE) {
        assertTrue(ofKind.stream().anyMatch(r -> r.base() == 0), w + ": some do not fit");
      }
    }
    checkResources(assigned);
    checkWindows(h);
    checkDecode(h);
    PciFunction nvme = h.subtree(h.rootBus().function(30 << 3)).get(0);
    assertEquals(0, nvme.config().read(Header.BAR0, 4) & ~0xF, "no room left for the NVMe BAR");
    assertEquals(0, nvme.config().read(Header.COMMAND, 2) & Header.COMMAND_MEMORY,
        "a function without an assigned memory BAR must not decode memory (at address 0)");
  }

  /** Natural alignment, the I/O range, and no two resources of one address space overlapping. */
  private static void checkResources(List<Resource> all) {
    for (Resource r : all) {
      assertEquals(0, r.base() & (r.size() - 1), "not aligned to its size: " + r);
      if (r.window() == Window.IO) {
        assertTrue(r.base() >= 0x1000 && r.end() <= 0xFFFF, "outside 16-bit I/O: " + r);
      }
    }
    for (int i = 0; i < all.size(); i++) {
      for (int j = i + 1; j < all.size(); j++) {
        Resource a = all.get(i);
        Resource b = all.get(j);
        boolean sameSpace = (a.window() == Window.IO) == (b.window() == Window.IO);
        assertFalse(sameSpace && a.overlaps(b.base(), b.end()), a + " overlaps " + b);
      }
    }
  }

  /**
   * Each window of each bridge holds every assigned resource of its kind below the bridge and
   * none elsewhere, is closed when there is none, and lies inside the parent's window.
   */
  private static void checkWindows(Hierarchy h) {
    List<Resource> all = assignedOnly(resources(h.functions()));
    for (PciFunction bridge : h.functions()) {
      if (!bridge.isBridge()) {
        continue;
      }
      List<Resource> below = assignedOnly(resources(h.subtree(bridge)));
      for (Window w : Window.values()) {
        Range range = window(bridge.config(), w);
        List<Resource> mine = below.stream().filter(r -> r.window() == w).toList();
        if (mine.isEmpty()) {
          assertTrue(range.closed(), bridge + " " + w + " window is open with nothing below: "
              + range);
          continue;
        }
        for (Resource r : mine) {
          assertTrue(range.contains(r.base(), r.end()), bridge + " " + w + " window " + range
              + " misses " + r);
        }
        for (Resource r : all) {
          if (r.window() == w && !mine.contains(r)) {
            assertFalse(r.overlaps(range.base(), range.limit()), bridge + " " + w + " window "
                + range + " holds " + r + ", which is not below it");
          }
        }
        PciFunction parent = bridge.upstreamBridge();
        if (parent != null) {
          Range outer = window(parent.config(), w);
          assertTrue(outer.contains(range.base(), range.limit()), bridge + " " + w + " window "
              + range + " is not inside " + parent + "'s " + outer);
        }
      }
    }
    for (Bus bus : h.buses()) {
      List<PciFunction> bridges = bus.functions().stream().filter(PciFunction::isBridge).toList();
      for (int i = 0; i < bridges.size(); i++) {
        for (int j = i + 1; j < bridges.size(); j++) {
          for (Window w : Window.values()) {
            Range a = window(bridges.get(i).config(), w);
            Range b = window(bridges.get(j).config(), w);
            assertFalse(a.overlaps(b), bridges.get(i) + " and " + bridges.get(j) + " " + w);
          }
        }
      }
    }
  }

  /**
   * Bridges forward I/O and memory and master; an endpoint decodes the spaces it has an assigned
   * BAR in, no more; bus mastering and ROM decode are left to the driver.
   */
  private static void checkDecode(Hierarchy h) {
    for (PciFunction f : h.functions()) {
      int command = f.config().read(Header.COMMAND, 2);
      if (f.isBridge()) {
        int want = Header.COMMAND_IO | Header.COMMAND_MEMORY | Header.COMMAND_MASTER;
        assertEquals(want, command & want, f + " command " + Integer.toHexString(command));
        continue;
      }
      List<Resource> bars = assignedOnly(resources(List.of(f))).stream()
          .filter(r -> r.index() >= 0).toList();
      boolean io = bars.stream().anyMatch(r -> r.window() == Window.IO);
      boolean mem = bars.stream().anyMatch(r -> r.window() != Window.IO);
      assertEquals(io, (command & Header.COMMAND_IO) != 0, f + " I/O decode");
      assertEquals(mem, (command & Header.COMMAND_MEMORY) != 0, f + " memory decode");
      assertEquals(0, command & Header.COMMAND_MASTER, f + ": bus mastering is the driver's");
      if (f.model().rom() != null) {
        assertEquals(0, f.config().read(Type0.ROM_ADDRESS, 4) & ExpansionRom.ENABLE,
            f + ": ROM decode stays off");
      }
    }
  }

  private static List<Resource> assignedOnly(List<Resource> rs) {
    return rs.stream().filter(r -> r.base() != 0).toList();
  }

  /** 64-bit prefetchable BARs land above 4 GiB, both dwords written, windows 64-bit too. */
  @Test
  void sixtyFourBitBarsAreProgrammedAboveFourGiB() {
    Hierarchy h = example("gpu-passthrough.json");
    int checked = 0;
    for (Resource r : resources(h.functions())) {
      if (r.window() != Window.PREFETCHABLE) {
        continue;
      }
      checked++;
      assertTrue(r.base() >= 1L << 32, "below 4 GiB: " + r);
      int upper = r.owner().config().read(Header.BAR0 + 4 * r.index() + 4, 4);
      assertEquals(r.base() >>> 32, upper & 0xFFFF_FFFFL, r.toString());
      PciFunction port = r.owner().upstreamBridge();
      assertTrue(port.config().read(Type1.PREF_BASE_UPPER32, 4) != 0, port.toString());
    }
    assertTrue(checked > 0, "the GPU box has 64-bit prefetchable BARs");
  }

  // ---- decoding, as an OS reads the registers ----

  /** Every BAR and ROM of {@code functions}, decoded from the live registers. */
  static List<Resource> resources(List<PciFunction> functions) {
    List<Resource> out = new ArrayList<>();
    for (PciFunction f : functions) {
      ConfigSpace c = f.config();
      for (Map.Entry<Integer, Bar> e : f.model().bars().entrySet()) {
        Bar bar = e.getValue();
        int offset = Header.BAR0 + 4 * e.getKey();
        int lo = c.read(offset, 4);
        Window w;
        long base;
        if (bar.kind() == Bar.Kind.IO) {
          assertEquals(Bar.IO_SPACE, lo & 0x3, f + " BAR" + e.getKey() + " flags");
          w = Window.IO;
          base = lo & ~0x3L & 0xFFFF_FFFFL;
        } else {
          assertEquals(bar.flags(), lo & 0xF, f + " BAR" + e.getKey() + " flags");
          base = lo & ~0xFL & 0xFFFF_FFFFL;
          if (bar.kind() == Bar.Kind.MEM64) {
            base |= (c.read(offset + 4, 4) & 0xFFFF_FFFFL) << 32;
          }
          w = bar.kind() == Bar.Kind.MEM64 && bar.prefetchable() ? Window.PREFETCHABLE
              : Window.MEMORY;
        }
        out.add(new Resource(f, e.getKey(), w, base, bar.size()));
      }
      ExpansionRom rom = f.model().rom();
      if (rom != null) {
        int at = f.isBridge() ? Type1.ROM_ADDRESS : Type0.ROM_ADDRESS;
        long base = c.read(at, 4) & 0xFFFF_F800L;
        out.add(new Resource(f, -1, Window.MEMORY, base, rom.size()));
      }
    }
    return out;
  }

  /** A bridge's window of kind {@code w}, decoded as the PCI-to-PCI bridge spec lays it out. */
  static Range window(ConfigSpace c, Window w) {
    switch (w) {
      case IO -> {
        long base = (c.read(Type1.IO_BASE, 1) & 0xF0L) << 8
            | (long) c.read(Type1.IO_BASE_UPPER16, 2) << 16;
        long limit = (c.read(Type1.IO_LIMIT, 1) & 0xF0L) << 8 | 0xFFF
            | (long) c.read(Type1.IO_LIMIT_UPPER16, 2) << 16;
        return new Range(base, limit);
      }
      case MEMORY -> {
        long base = (c.read(Type1.MEMORY_BASE, 2) & 0xFFF0L) << 16;
        long limit = (c.read(Type1.MEMORY_LIMIT, 2) & 0xFFF0L) << 16 | 0xF_FFFF;
        return new Range(base, limit);
      }
      case PREFETCHABLE -> {
        long base = (c.read(Type1.PREF_MEMORY_BASE, 2) & 0xFFF0L) << 16
            | (c.read(Type1.PREF_BASE_UPPER32, 4) & 0xFFFF_FFFFL) << 32;
        long limit = (c.read(Type1.PREF_MEMORY_LIMIT, 2) & 0xFFF0L) << 16 | 0xF_FFFF
            | (c.read(Type1.PREF_LIMIT_UPPER32, 4) & 0xFFFF_FFFFL) << 32;
        return new Range(base, limit);
      }
      default -> {
        return fail("unknown window " + w);
      }
    }
  }
}
