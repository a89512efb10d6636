package io.pciefarm.config;

import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.ExtendedCapabilities;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.PowerManagement;
import io.pciefarm.spec.Type0;
import java.util.function.BiConsumer;

/**
 * Layouts the engine tests share. Everything here is built through the public {@link
 * LayoutBuilder} API only, with the register semantics of the reference (section 1), so the
 * tests exercise what device models will really declare.
 */
final class TestLayouts {
  private TestLayouts() {}

  /** A capability for tests: fixed ID and length, registers installed by a lambda. */
  record TestCap(int id, int length, boolean extended, BiConsumer<LayoutBuilder, Integer> body)
      implements Capability {
    static TestCap conventional(int id, int length) {
      return new TestCap(id, length, false, (b, base) -> {});
    }

    static TestCap extended(int id, int length) {
      return new TestCap(id, length, true, (b, base) -> {});
    }

    @Override
    public void install(LayoutBuilder layout, int base) {
      body.accept(layout, base);
    }
  }

  // Offsets in the realistic endpoint below.
  static final int PM = 0x40;
  static final int MSI = 0x48;
  static final int EXP = 0x60;
  static final int AER = 0x100;
  static final int DSN = 0x12C;

  /** BAR0/1: 64-bit prefetchable 16 GiB. */
  static final Bar BAR0 = Bar.mem64Prefetchable(16L << 30);
  /** BAR2: 32-bit memory 1 MiB. */
  static final Bar BAR2 = Bar.mem32(1 << 20);
  /** BAR3: 32-bit prefetchable 64 KiB. */
  static final Bar BAR3 = new Bar(Bar.Kind.MEM32, 64 << 10, true);
  /** BAR4: I/O 256 bytes. */
  static final Bar BAR4 = Bar.io(256);
  /** BAR5: 32-bit memory 256 bytes: smaller than a page. */
  static final Bar BAR5 = Bar.mem32(256);
  static final ExpansionRom ROM = new ExpansionRom(64 << 10);

  /**
   * A realistic PCI Express endpoint: type 0 header with six BARs and a ROM, PM, MSI and PCI
   * Express capabilities, AER and DSN extended capabilities, hooked Command, PMCSR and Device
   * Control. Sticky bits: PMCSR PME_En (RWS) and PME_Status (RW1CS), AER uncorrectable status
   * (RW1CS) and mask (RWS).
   */
  static ConfigLayout endpoint() {
    return endpointBuilder().build();
  }

  static LayoutBuilder endpointBuilder() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    b.value(Header.VENDOR_ID, 2, 0x8086).value(Header.DEVICE_ID, 2, 0x10D3);
    b.rw(Header.COMMAND, 2, Header.COMMAND_IO | Header.COMMAND_MEMORY | Header.COMMAND_MASTER
        | Header.COMMAND_PARITY | Header.COMMAND_SERR | Header.COMMAND_INTX_DISABLE);
    b.hook(Register.COMMAND, Header.COMMAND, 2);
    b.rw1c(Header.STATUS, 2, Header.STATUS_ERRORS_RW1C);
    b.value(Header.REVISION_ID, 1, 0x03).value(Header.CLASS_PROG, 1, 0x00)
        .value(Header.CLASS_DEVICE, 2, 0x0200);
    b.rw(Header.CACHE_LINE_SIZE, 1, 0xFF);
    b.value(Header.HEADER_TYPE, 1, Header.HEADER_TYPE_NORMAL);
    BAR0.install(b, 0x10);
    BAR2.install(b, 0x18);
    BAR3.install(b, 0x1C);
    BAR4.install(b, 0x20);
    BAR5.install(b, 0x24);
    b.value(Type0.SUBSYSTEM_VENDOR_ID, 2, 0x8086).value(Type0.SUBSYSTEM_ID, 2, 0xA01F);
    ROM.install(b, Type0.ROM_ADDRESS);
    b.rw(Header.INTERRUPT_LINE, 1, 0xFF);
    b.value(Header.INTERRUPT_PIN, 1, 1);

    int pm = b.add(new TestCap(CapabilityId.PM, PowerManagement.LENGTH, false, (l, base) -> {
      l.value(base + PowerManagement.PMC, 2, 0x0003 | PowerManagement.PMC_PME_D3HOT);
      l.value(base + PowerManagement.PMCSR, 2, PowerManagement.PMCSR_NO_SOFT_RESET);
      l.rw(base + PowerManagement.PMCSR, 2,
          PowerManagement.PMCSR_STATE_MASK | PowerManagement.PMCSR_PME_ENABLE);
      l.rw1c(base + PowerManagement.PMCSR, 2, PowerManagement.PMCSR_PME_STATUS);
      l.sticky(base + PowerManagement.PMCSR, 2,
          PowerManagement.PMCSR_PME_ENABLE | PowerManagement.PMCSR_PME_STATUS);
      l.hook(Register.PM_CONTROL, base + PowerManagement.PMCSR, 2);
    }));
    check(pm == PM, "PM at " + pm);
    int msi = b.add(new TestCap(CapabilityId.MSI, 0x18, false, (l, base) -> {
      l.value(base + 2, 2, 0x0080);
      l.rw(base + 2, 2, 0x0071);
      l.rw(base + 4, 4, 0xFFFFFFFC);
      l.rw(base + 8, 4, 0xFFFFFFFF);
      l.rw(base + 12, 2, 0xFFFF);
      l.hook(Register.MSI_CONTROL, base + 2, 2);
    }));
    check(msi == MSI, "MSI at " + msi);
    int exp = b.add(new TestCap(CapabilityId.EXP, PciExpress.LENGTH_V2, false, (l, base) -> {
      l.value(base + PciExpress.CAPABILITIES, 2, PciExpress.CAP_VERSION_2);
      l.value(base + PciExpress.DEVICE_CAPABILITIES, 4,
          PciExpress.DEVCAP_PAYLOAD_256 | PciExpress.DEVCAP_FLR);
      l.value(base + PciExpress.DEVICE_CONTROL, 2, 0x2810);
      l.rw(base + PciExpress.DEVICE_CONTROL, 2, 0x7FFF);
      l.trigger(base + PciExpress.DEVICE_CONTROL, 2, PciExpress.DEVCTL_BCR_FLR);
      l.rw1c(base + PciExpress.DEVICE_STATUS, 2, PciExpress.DEVSTA_ERRORS_RW1C);
      l.hook(Register.DEVICE_CONTROL, base + PciExpress.DEVICE_CONTROL, 2);
      l.value(base + PciExpress.LINK_CAPABILITIES, 4, 0x00400C41);
      l.rw(base + PciExpress.LINK_CONTROL, 2, 0x01C3);
      l.trigger(base + PciExpress.LINK_CONTROL, 2, PciExpress.LNKCTL_RETRAIN);
      l.value(base + PciExpress.LINK_STATUS, 2, 0x1041);
      l.value(base + PciExpress.DEVICE_CAPABILITIES_2, 4, 0x1F);
      l.rw(base + PciExpress.DEVICE_CONTROL_2, 2, 0x1F);
    }));
    check(exp == EXP, "EXP at " + exp);
    int aer = b.add(new TestCap(CapabilityId.EXT_AER, ExtendedCapabilities.AER_ENDPOINT_LENGTH,
        true, (l, base) -> {
          int st = base + ExtendedCapabilities.AER_UNCOR_STATUS;
          l.rw1c(st, 4, ExtendedCapabilities.AER_UNCOR_DEFINED);
          l.sticky(st, 4, ExtendedCapabilities.AER_UNCOR_DEFINED);
          int mask = base + ExtendedCapabilities.AER_UNCOR_MASK;
          l.rw(mask, 4, ExtendedCapabilities.AER_UNCOR_DEFINED);
          l.sticky(mask, 4, ExtendedCapabilities.AER_UNCOR_DEFINED);
          int sev = base + ExtendedCapabilities.AER_UNCOR_SEVERITY;
          l.value(sev, 4, ExtendedCapabilities.AER_UNCOR_SEVERITY_DEFAULT);
          l.rw(sev, 4, ExtendedCapabilities.AER_UNCOR_DEFINED);
          l.sticky(sev, 4, ExtendedCapabilities.AER_UNCOR_DEFINED);
          l.rw1c(base + ExtendedCapabilities.AER_COR_STATUS, 4, ExtendedCapabilities.AER_COR_DEFINED);
          l.sticky(base + ExtendedCapabilities.AER_COR_STATUS, 4,
              ExtendedCapabilities.AER_COR_DEFINED);
          l.value(base + ExtendedCapabilities.AER_COR_MASK, 4,
              ExtendedCapabilities.AER_COR_ADV_NONFATAL);
          l.rw(base + ExtendedCapabilities.AER_COR_MASK, 4, ExtendedCapabilities.AER_COR_DEFINED);
        }));
    check(aer == AER, "AER at " + aer);
    int dsn = b.add(new TestCap(CapabilityId.EXT_DSN, ExtendedCapabilities.DSN_LENGTH, true,
        (l, base) -> {}));
    check(dsn == 0x100 + ExtendedCapabilities.AER_ENDPOINT_LENGTH, "DSN at " + dsn);
    check(dsn == DSN, "DSN at " + dsn);
    return b;
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new AssertionError("test layout moved: " + what);
    }
  }
}
