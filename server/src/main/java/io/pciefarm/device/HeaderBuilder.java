package io.pciefarm.device;

import io.pciefarm.config.Bar;
import io.pciefarm.config.ExpansionRom;
import io.pciefarm.config.LayoutBuilder;
import io.pciefarm.config.Register;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.Type0;
import io.pciefarm.spec.Type1;

/**
 * Writes the first 64 bytes of a function: IDs, Command/Status semantics, BARs and, for bridges,
 * bus numbers, windows and Bridge Control. Which bits are writable depends on whether the
 * function is PCI Express (where several legacy bits are hardwired to 0) and on what it decodes.
 */
final class HeaderBuilder {
  private HeaderBuilder() {}

  /** Common registers of type 0 and type 1 headers. */
  static void common(LayoutBuilder b, FunctionModel.Spec s, boolean bridge, boolean multiFunction) {
    b.value(Header.VENDOR_ID, 2, s.vendorId);
    b.value(Header.DEVICE_ID, 2, s.deviceId);
    b.value(Header.REVISION_ID, 1, s.revision);
    b.value(Header.CLASS_PROG, 1, s.classCode & 0xFF);
    b.value(Header.CLASS_DEVICE, 2, s.classCode >>> 8);
    b.value(Header.HEADER_TYPE, 1, (bridge ? Header.HEADER_TYPE_BRIDGE : Header.HEADER_TYPE_NORMAL)
        | (multiFunction ? Header.HEADER_TYPE_MULTI_FUNCTION : 0));

    boolean hasIo = bridge || s.bars.values().stream().anyMatch(bar -> !bar.isMemory());
    boolean hasMemory = bridge || s.rom != null || s.bars.values().stream().anyMatch(Bar::isMemory);
    int command = Header.COMMAND_MASTER | Header.COMMAND_PARITY | Header.COMMAND_SERR
        | Header.COMMAND_INTX_DISABLE;
    if (hasIo) {
      command |= Header.COMMAND_IO;
    }
    if (hasMemory) {
      command |= Header.COMMAND_MEMORY;
    }
    if (!s.express) {
      // Conventional PCI keeps the bits PCI Express hardwires to 0.
      command |= Header.COMMAND_SPECIAL | Header.COMMAND_INVALIDATE | Header.COMMAND_FAST_BACK;
    }
    b.rw(Header.COMMAND, 2, command);
    b.hook(Register.COMMAND, Header.COMMAND, 2);

    int status = s.immediateReadiness ? Header.STATUS_IMMEDIATE_READINESS : 0;
    if (!s.express) {
      status |= 0x0200; // DEVSEL medium timing
    }
    b.value(Header.STATUS, 2, status);
    b.rw1c(Header.STATUS, 2, Header.STATUS_ERRORS_RW1C);

    b.rw(Header.CACHE_LINE_SIZE, 1, 0xFF);
    if (!s.express) {
      b.rw(Header.LATENCY_TIMER, 1, 0xF8);
    }
    if (s.interruptPin != 0) {
      b.value(Header.INTERRUPT_PIN, 1, s.interruptPin);
    }
    b.rw(Header.INTERRUPT_LINE, 1, 0xFF);
  }

  /** Type 0: six BARs, subsystem IDs, expansion ROM at 0x30. */
  static void type0(LayoutBuilder b, FunctionModel.Spec s) {
    installBars(b, s, Type0.BAR_COUNT);
    b.value(Type0.SUBSYSTEM_VENDOR_ID, 2, s.subsystemVendorId);
    b.value(Type0.SUBSYSTEM_ID, 2, s.subsystemId);
    if (s.rom != null) {
      s.rom.install(b, Type0.ROM_ADDRESS);
    }
  }

  /**
   * Type 1: two BARs, bus numbers (hooked: they route config requests), I/O, memory and
   * prefetchable windows, secondary status, expansion ROM at 0x38 and Bridge Control (hooked:
   * bit 6 is Secondary Bus Reset).
   */
  static void type1(LayoutBuilder b, FunctionModel.Spec s) {
    installBars(b, s, Type1.BAR_COUNT);
    b.rw(Type1.PRIMARY_BUS, 1, 0xFF);
    b.rw(Type1.SECONDARY_BUS, 1, 0xFF);
    b.rw(Type1.SUBORDINATE_BUS, 1, 0xFF);
    if (!s.express) {
      b.rw(Type1.SECONDARY_LATENCY, 1, 0xF8);
    }
    b.hook(Register.BUS_NUMBERS, Type1.PRIMARY_BUS, 4);

    // Windows: the low nibbles are RO capability flags (32-bit I/O, 64-bit prefetchable).
    b.value(Type1.IO_BASE, 1, Type1.IO_RANGE_32).rw(Type1.IO_BASE, 1, 0xF0);
    b.value(Type1.IO_LIMIT, 1, Type1.IO_RANGE_32).rw(Type1.IO_LIMIT, 1, 0xF0);
    b.rw(Type1.IO_BASE_UPPER16, 2, 0xFFFF).rw(Type1.IO_LIMIT_UPPER16, 2, 0xFFFF);
    b.rw(Type1.MEMORY_BASE, 2, 0xFFF0).rw(Type1.MEMORY_LIMIT, 2, 0xFFF0);
    b.value(Type1.PREF_MEMORY_BASE, 2, Type1.PREF_RANGE_64).rw(Type1.PREF_MEMORY_BASE, 2, 0xFFF0);
    b.value(Type1.PREF_MEMORY_LIMIT, 2, Type1.PREF_RANGE_64)
        .rw(Type1.PREF_MEMORY_LIMIT, 2, 0xFFF0);
    b.rw(Type1.PREF_BASE_UPPER32, 4, -1).rw(Type1.PREF_LIMIT_UPPER32, 4, -1);

    int secondaryStatus = s.express ? 0 : 0x0200;
    b.value(Type1.SECONDARY_STATUS, 2, secondaryStatus);
    b.rw1c(Type1.SECONDARY_STATUS, 2, Header.STATUS_ERRORS_RW1C);

    if (s.rom != null) {
      s.rom.install(b, Type1.ROM_ADDRESS);
    }
    int bridgeControl = Type1.BRIDGE_CTL_PARITY | Type1.BRIDGE_CTL_SERR | Type1.BRIDGE_CTL_ISA
        | Type1.BRIDGE_CTL_VGA | Type1.BRIDGE_CTL_VGA_16BIT | Type1.BRIDGE_CTL_BUS_RESET;
    if (!s.express) {
      bridgeControl |= Type1.BRIDGE_CTL_MASTER_ABORT | Type1.BRIDGE_CTL_FAST_BACK;
    }
    b.rw(Type1.BRIDGE_CONTROL, 2, bridgeControl);
    b.hook(Register.BRIDGE_CONTROL, Type1.BRIDGE_CONTROL, 2);
  }

  private static void installBars(LayoutBuilder b, FunctionModel.Spec s, int count) {
    int next = 0;
    for (var e : s.bars.entrySet()) {
      int index = e.getKey();
      Bar bar = e.getValue();
      if (index < next || index + bar.slots() > count) {
        throw new IllegalArgumentException(String.format(
            "%s: BAR%d (%s) does not fit: BARs 0..%d, next free is BAR%d", s.name, index,
            bar.kind(), count - 1, next));
      }
      bar.install(b, Header.BAR0 + 4 * index);
      next = index + bar.slots();
    }
  }
}
