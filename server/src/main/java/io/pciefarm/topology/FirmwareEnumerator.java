package io.pciefarm.topology;

import io.pciefarm.config.Bar;
import io.pciefarm.config.ConfigSpace;
import io.pciefarm.config.ExpansionRom;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.ExtendedCapabilities;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.Type0;
import io.pciefarm.spec.Type1;
import java.util.Map;

/**
 * Programs a freshly built hierarchy the way boot firmware does, so a client sees a booted
 * system: bus numbers depth-first, then BARs and bridge windows from per-segment address pools,
 * decode enabled, and ACS isolation and Retry Status visibility turned on as the booted OS
 * leaves them. Space that runs out stays unassigned, as Linux reports "can't assign".
 *
 * <p>Runs before the hierarchy is published: its writes go straight to config spaces with no
 * listener attached, and routing is computed once afterwards.
 */
final class FirmwareEnumerator {
  /** 32-bit MMIO pool, below the local APIC / IOAPIC area. */
  private static final long MEM_START = 0x8000_0000L;
  private static final long MEM_END = 0xFEC0_0000L;
  /** 64-bit prefetchable pool. */
  private static final long PREF_START = 0x40_0000_0000L;
  private static final long PREF_END = 0x80_0000_0000L;
  /** I/O ports above the legacy ISA range. */
  private static final long IO_START = 0x1000;
  private static final long IO_END = 0x10000;
  private static final long MEM_WINDOW_GRANULE = 1 << 20;
  private static final long IO_WINDOW_GRANULE = 1 << 12;

  private FirmwareEnumerator() {}

  /** Allocation cursors, one per address pool. */
  private static final class Cursors {
    long mem = MEM_START;
    long pref = PREF_START;
    long io = IO_START;
  }

  static void enumerate(Hierarchy h) {
    numberBuses(h.rootBus(), 0, new int[] {0});
    assign(h.rootBus(), new Cursors());
    for (PciFunction f : h.functions()) {
      enableAcs(f);
      enableRrsVisibility(f);
    }
  }

  /**
   * Root ports that can make Retry Status visible get it turned on, as Linux's probe does
   * ({@code pci_enable_rrs_sv}): software then reads Vendor ID 0x0001 from a device that is
   * not ready instead of stalling.
   */
  private static void enableRrsVisibility(PciFunction f) {
    int exp = f.model().layout().capability(CapabilityId.EXP);
    if (exp >= 0 && f.model().portType() == io.pciefarm.spec.PortType.ROOT_PORT
        && (f.config().read(exp + PciExpress.ROOT_CAPABILITIES, 2) & PciExpress.RTCAP_RRS_SV) != 0) {
      int ctl = f.config().read(exp + PciExpress.ROOT_CONTROL, 2);
      f.config().write(exp + PciExpress.ROOT_CONTROL, 2, ctl | PciExpress.RTCTL_RRS_SVE);
    }
  }

  /**
   * ACS Control resets to 0; the booted OS turns on the isolation controls each port
   * implements (Linux's {@code pci_enable_acs}), and the groups a client sees depend on it.
   */
  private static void enableAcs(PciFunction f) {
    int acs = f.model().layout().extendedCapability(CapabilityId.EXT_ACS);
    if (acs >= 0) {
      int cap = f.config().read(acs + ExtendedCapabilities.ACS_CAPABILITY, 2);
      f.config().write(acs + ExtendedCapabilities.ACS_CONTROL, 2,
          cap & ExtendedCapabilities.ACS_ISOLATION);
    }
  }

  /** Depth-first: each bridge's secondary is the next free number, its subordinate the last. */
  private static void numberBuses(Bus bus, int number, int[] last) {
    for (PciFunction f : bus.functions()) {
      if (!f.isBridge()) {
        continue;
      }
      int secondary = ++last[0];
      ConfigSpace c = f.config();
      c.write(Type1.PRIMARY_BUS, 1, number);
      c.write(Type1.SECONDARY_BUS, 1, secondary);
      numberBuses(f.secondary(), secondary, last);
      c.write(Type1.SUBORDINATE_BUS, 1, last[0]);
    }
  }

  private static void assign(Bus bus, Cursors at) {
    for (PciFunction f : bus.functions()) {
      ConfigSpace c = f.config();
      int decode = assignBars(f, at, f.isBridge() ? Type1.ROM_ADDRESS : Type0.ROM_ADDRESS);
      if (f.isBridge()) {
        assignWindows(f, at);
        c.write(Header.COMMAND, 2, Header.COMMAND_IO | Header.COMMAND_MEMORY
            | Header.COMMAND_MASTER | Header.COMMAND_SERR | Header.COMMAND_PARITY);
      } else {
        c.write(Header.COMMAND, 2, decode);
      }
    }
  }

  /**
   * @return the Command decode bits for the BARs that got an address: a BAR left at 0 must
   *     not decode, or the function would answer at address 0
   */
  private static int assignBars(PciFunction f, Cursors at, int romOffset) {
    int decode = 0;
    ConfigSpace c = f.config();
    for (Map.Entry<Integer, Bar> e : f.model().bars().entrySet()) {
      Bar bar = e.getValue();
      int offset = Header.BAR0 + 4 * e.getKey();
      long address;
      switch (bar.kind()) {
        case IO -> address = take(at, Pool.IO, bar.size());
        case MEM64 -> address = take(at, bar.prefetchable() ? Pool.PREF : Pool.MEM, bar.size());
        default -> address = take(at, Pool.MEM, bar.size());
      }
      if (address < 0) {
        continue;
      }
      decode |= bar.isMemory() ? Header.COMMAND_MEMORY : Header.COMMAND_IO;
      c.write(offset, 4, (int) address);
      if (bar.slots() == 2) {
        c.write(offset + 4, 4, (int) (address >>> 32));
      }
    }
    ExpansionRom rom = f.model().rom();
    if (rom != null) {
      long address = take(at, Pool.MEM, rom.size());
      if (address >= 0) {
        c.write(romOffset, 4, (int) address); // decode stays disabled, as firmware leaves it
      }
    }
    return decode;
  }

  private static void assignWindows(PciFunction bridge, Cursors at) {
    long mem = at.mem = alignUp(at.mem, MEM_WINDOW_GRANULE);
    long pref = at.pref = alignUp(at.pref, MEM_WINDOW_GRANULE);
    long io = at.io = alignUp(at.io, IO_WINDOW_GRANULE);
    assign(bridge.secondary(), at);
    at.mem = alignUp(at.mem, MEM_WINDOW_GRANULE);
    at.pref = alignUp(at.pref, MEM_WINDOW_GRANULE);
    at.io = alignUp(at.io, IO_WINDOW_GRANULE);
    ConfigSpace c = bridge.config();
    // An empty window is programmed with base above limit, which disables it.
    if (at.mem > mem) {
      c.write(Type1.MEMORY_BASE, 2, (int) (mem >>> 16) & 0xFFF0);
      c.write(Type1.MEMORY_LIMIT, 2, (int) ((at.mem - 1) >>> 16) & 0xFFF0);
    } else {
      c.write(Type1.MEMORY_BASE, 2, 0xFFF0);
      c.write(Type1.MEMORY_LIMIT, 2, 0);
    }
    if (at.pref > pref) {
      c.write(Type1.PREF_MEMORY_BASE, 2, (int) (pref >>> 16) & 0xFFF0);
      c.write(Type1.PREF_MEMORY_LIMIT, 2, (int) ((at.pref - 1) >>> 16) & 0xFFF0);
      c.write(Type1.PREF_BASE_UPPER32, 4, (int) (pref >>> 32));
      c.write(Type1.PREF_LIMIT_UPPER32, 4, (int) ((at.pref - 1) >>> 32));
    } else {
      c.write(Type1.PREF_MEMORY_BASE, 2, 0xFFF0);
      c.write(Type1.PREF_MEMORY_LIMIT, 2, 0);
    }
    if (at.io > io) {
      c.write(Type1.IO_BASE, 1, (int) (io >>> 8) & 0xF0);
      c.write(Type1.IO_LIMIT, 1, (int) ((at.io - 1) >>> 8) & 0xF0);
      c.write(Type1.IO_BASE_UPPER16, 2, (int) (io >>> 16));
      c.write(Type1.IO_LIMIT_UPPER16, 2, (int) ((at.io - 1) >>> 16));
    } else {
      c.write(Type1.IO_BASE, 1, 0xF0);
      c.write(Type1.IO_LIMIT, 1, 0);
    }
  }

  private enum Pool { MEM, PREF, IO }

  /** Takes {@code size} bytes, naturally aligned, from a pool; -1 when the pool is exhausted. */
  private static long take(Cursors at, Pool pool, long size) {
    long start;
    long end;
    switch (pool) {
      case MEM -> {
        start = alignUp(at.mem, size);
        end = MEM_END;
      }
      case PREF -> {
        start = alignUp(at.pref, size);
        end = PREF_END;
      }
      default -> {
        start = alignUp(at.io, size);
        end = IO_END;
      }
    }
    if (start + size > end) {
      return -1;
    }
    switch (pool) {
      case MEM -> at.mem = start + size;
      case PREF -> at.pref = start + size;
      default -> at.io = start + size;
    }
    return start;
  }

  private static long alignUp(long x, long alignment) {
    return (x + alignment - 1) & -alignment;
  }
}
