package io.pciefarm.bench.config;

import io.pciefarm.config.Bar;
import io.pciefarm.config.Capability;
import io.pciefarm.config.ConfigLayout;
import io.pciefarm.config.ExpansionRom;
import io.pciefarm.config.LayoutBuilder;
import io.pciefarm.config.Register;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.ExtendedCapabilities;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.PowerManagement;
import io.pciefarm.spec.Type0;

/**
 * The layout the benchmarks measure: a PCI Express NVMe-like endpoint as firmware sees it. A
 * type 0 header with a hooked Command register, RW1C Status errors, a 64-bit and a 32-bit memory
 * BAR and an expansion ROM; Power Management and PCI Express capabilities in 0x40..0xFF; AER and
 * Device Serial Number in extended space. The capabilities are small local stand-ins (the real
 * ones live in {@code io.pciefarm.caps}, which the benchmarks deliberately do not depend on):
 * what matters here is a realistic mix of RO, RW, RW1C, sticky, trigger and hooked bits over
 * two copy-on-write chunks.
 */
public final class EndpointLayout {
  private EndpointLayout() {}

  /** 64-bit memory BAR, 16 KiB: dwords 0x10 and 0x14. */
  public static final int BAR0 = Header.BAR0;
  /** 32-bit memory BAR, 8 KiB. */
  public static final int BAR2 = Header.BAR0 + 8;
  public static final int BAR0_SIZE = 16 * 1024;
  public static final int BAR2_SIZE = 8 * 1024;
  /** Command bits this device implements (memory-only, so no I/O decode). */
  public static final int COMMAND_RW = Header.COMMAND_MEMORY | Header.COMMAND_MASTER
      | Header.COMMAND_PARITY | Header.COMMAND_SERR | Header.COMMAND_INTX_DISABLE;

  public static final ConfigLayout LAYOUT;
  /** Where the builder placed the capabilities. */
  public static final int PM;
  public static final int EXP;
  public static final int AER;
  public static final int DSN;

  static {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    b.value(Header.VENDOR_ID, 2, 0x144D).value(Header.DEVICE_ID, 2, 0xA808);
    b.rw(Header.COMMAND, 2, COMMAND_RW).hook(Register.COMMAND, Header.COMMAND, 2);
    b.rw1c(Header.STATUS, 2, Header.STATUS_ERRORS_RW1C);
    b.value(Header.REVISION_ID, 1, 0x01).value(Header.CLASS_PROG, 1, 0x02)
        .value(Header.CLASS_DEVICE, 2, 0x0108);
    b.rw(Header.CACHE_LINE_SIZE, 1, 0xFF);
    b.value(Header.HEADER_TYPE, 1, Header.HEADER_TYPE_NORMAL);
    Bar.mem64(BAR0_SIZE).install(b, BAR0);
    Bar.mem32(BAR2_SIZE).install(b, BAR2);
    b.value(Type0.SUBSYSTEM_VENDOR_ID, 2, 0x144D).value(Type0.SUBSYSTEM_ID, 2, 0xA801);
    new ExpansionRom(64 * 1024).install(b, Type0.ROM_ADDRESS);
    b.rw(Header.INTERRUPT_LINE, 1, 0xFF).value(Header.INTERRUPT_PIN, 1, 0x01);
    PM = b.add(new PowerManagementStub());
    EXP = b.add(new ExpressEndpointStub());
    AER = b.add(new AerStub());
    DSN = b.add(new SerialNumberStub());
    LAYOUT = b.build();
  }

  /** Something that can take config writes: {@code ConfigSpace::write} or the baseline's. */
  @FunctionalInterface
  public interface Writer {
    void write(int offset, int width, int value);
  }

  /**
   * What firmware and the OS write while enumerating the function: BAR addresses, Command,
   * cache line size, interrupt line, Device Control, AER masks. Touches chunk 0 (header and
   * conventional capabilities) and chunk 1 (AER), so both become private to the instance.
   */
  public static void enumerate(Writer w) {
    w.write(BAR0, 4, 0xFE00_0000);
    w.write(BAR0 + 4, 4, 0);
    w.write(BAR2, 4, 0xFE10_0000);
    w.write(Type0.ROM_ADDRESS, 4, 0xFE20_0000);
    w.write(Header.CACHE_LINE_SIZE, 1, 0x10);
    w.write(Header.INTERRUPT_LINE, 1, 0x0B);
    w.write(Header.COMMAND, 2, Header.COMMAND_MEMORY | Header.COMMAND_MASTER
        | Header.COMMAND_SERR);
    w.write(EXP + PciExpress.DEVICE_CONTROL, 2, PciExpress.DEVCTL_CERE | PciExpress.DEVCTL_NFERE
        | PciExpress.DEVCTL_FERE | PciExpress.DEVCTL_URRE | PciExpress.DEVCTL_RELAX_EN
        | (1 << 5) | (2 << 12));
    w.write(AER + ExtendedCapabilities.AER_UNCOR_MASK, 4, 1 << 20);
    w.write(AER + ExtendedCapabilities.AER_CAP_CONTROL, 4,
        ExtendedCapabilities.AER_CAP_ECRC_GEN_ENABLE);
  }

  /** PCI Power Management, PM 1.2: PMCSR power state and PME enable RW, PME status RW1CS. */
  private static final class PowerManagementStub implements Capability {
    @Override
    public int id() {
      return CapabilityId.PM;
    }

    @Override
    public int length() {
      return PowerManagement.LENGTH;
    }

    @Override
    public void install(LayoutBuilder b, int base) {
      b.value(base + PowerManagement.PMC, 2,
          3 | PowerManagement.PMC_PME_D0 | PowerManagement.PMC_PME_D3HOT);
      int pmcsr = base + PowerManagement.PMCSR;
      b.value(pmcsr, 2, PowerManagement.PMCSR_NO_SOFT_RESET);
      b.rw(pmcsr, 2, PowerManagement.PMCSR_STATE_MASK | PowerManagement.PMCSR_PME_ENABLE);
      b.rw1c(pmcsr, 2, PowerManagement.PMCSR_PME_STATUS);
      b.sticky(pmcsr, 2, PowerManagement.PMCSR_PME_ENABLE | PowerManagement.PMCSR_PME_STATUS);
      b.hook(Register.PM_CONTROL, pmcsr, 2);
    }
  }

  /** PCI Express capability v2 of an endpoint: device, link, and their "2" registers. */
  private static final class ExpressEndpointStub implements Capability {
    @Override
    public int id() {
      return CapabilityId.EXP;
    }

    @Override
    public int length() {
      return PciExpress.LENGTH_V2;
    }

    @Override
    public void install(LayoutBuilder b, int base) {
      b.value(base + PciExpress.CAPABILITIES, 2, PciExpress.CAP_VERSION_2);
      b.value(base + PciExpress.DEVICE_CAPABILITIES, 4, PciExpress.DEVCAP_PAYLOAD_256
          | PciExpress.DEVCAP_EXT_TAG | PciExpress.DEVCAP_RBER | PciExpress.DEVCAP_FLR);
      int devctl = base + PciExpress.DEVICE_CONTROL;
      b.value(devctl, 2, PciExpress.DEVCTL_RELAX_EN | PciExpress.DEVCTL_NOSNOOP_EN | (2 << 12));
      b.rw(devctl, 2, PciExpress.DEVCTL_CERE | PciExpress.DEVCTL_NFERE | PciExpress.DEVCTL_FERE
          | PciExpress.DEVCTL_URRE | PciExpress.DEVCTL_RELAX_EN | PciExpress.DEVCTL_PAYLOAD_MASK
          | PciExpress.DEVCTL_EXT_TAG | PciExpress.DEVCTL_NOSNOOP_EN
          | PciExpress.DEVCTL_READRQ_MASK);
      b.trigger(devctl, 2, PciExpress.DEVCTL_BCR_FLR);
      b.hook(Register.DEVICE_CONTROL, devctl, 2);
      b.rw1c(base + PciExpress.DEVICE_STATUS, 2, PciExpress.DEVSTA_ERRORS_RW1C);
      b.value(base + PciExpress.LINK_CAPABILITIES, 4, 3 | (4 << PciExpress.LNKCAP_WIDTH_SHIFT)
          | PciExpress.LNKCAP_ASPM_L0S_L1);
      int lnkctl = base + PciExpress.LINK_CONTROL;
      b.rw(lnkctl, 2, PciExpress.LNKCTL_ASPM_MASK | PciExpress.LNKCTL_RCB
          | PciExpress.LNKCTL_COMMON_CLOCK | PciExpress.LNKCTL_EXTENDED_SYNCH
          | PciExpress.LNKCTL_CLOCK_PM | PciExpress.LNKCTL_HAWD);
      b.hook(Register.LINK_CONTROL, lnkctl, 2);
      b.value(base + PciExpress.LINK_STATUS, 2, 3 | (4 << PciExpress.LNKSTA_WIDTH_SHIFT)
          | PciExpress.LNKSTA_SLOT_CLOCK);
      b.value(base + PciExpress.DEVICE_CAPABILITIES_2, 4,
          PciExpress.DEVCAP2_COMPLETION_TIMEOUT_RANGES
              | PciExpress.DEVCAP2_COMPLETION_TIMEOUT_DISABLE);
      b.rw(base + PciExpress.DEVICE_CONTROL_2, 2, PciExpress.DEVCTL2_COMPLETION_TIMEOUT_MASK
          | PciExpress.DEVCTL2_COMPLETION_TIMEOUT_DISABLE);
      b.value(base + PciExpress.LINK_CAPABILITIES_2, 4, 0b1110);
      b.value(base + PciExpress.LINK_CONTROL_2, 2, 3);
      b.rw(base + PciExpress.LINK_CONTROL_2, 2, PciExpress.LNKCTL2_TARGET_SPEED_MASK);
    }
  }

  /** Advanced Error Reporting, endpoint layout: RW1CS status, RWS masks and severity. */
  private static final class AerStub implements Capability {
    @Override
    public int id() {
      return CapabilityId.EXT_AER;
    }

    @Override
    public int length() {
      return ExtendedCapabilities.AER_ENDPOINT_LENGTH;
    }

    @Override
    public boolean extended() {
      return true;
    }

    @Override
    public int version() {
      return 2;
    }

    @Override
    public void install(LayoutBuilder b, int base) {
      int uncor = ExtendedCapabilities.AER_UNCOR_DEFINED;
      int cor = ExtendedCapabilities.AER_COR_DEFINED;
      b.rw1c(base + ExtendedCapabilities.AER_UNCOR_STATUS, 4, uncor)
          .sticky(base + ExtendedCapabilities.AER_UNCOR_STATUS, 4, uncor);
      b.rw(base + ExtendedCapabilities.AER_UNCOR_MASK, 4, uncor)
          .sticky(base + ExtendedCapabilities.AER_UNCOR_MASK, 4, uncor);
      b.value(base + ExtendedCapabilities.AER_UNCOR_SEVERITY, 4,
              ExtendedCapabilities.AER_UNCOR_SEVERITY_DEFAULT)
          .rw(base + ExtendedCapabilities.AER_UNCOR_SEVERITY, 4, uncor)
          .sticky(base + ExtendedCapabilities.AER_UNCOR_SEVERITY, 4, uncor);
      b.rw1c(base + ExtendedCapabilities.AER_COR_STATUS, 4, cor)
          .sticky(base + ExtendedCapabilities.AER_COR_STATUS, 4, cor);
      b.value(base + ExtendedCapabilities.AER_COR_MASK, 4,
              ExtendedCapabilities.AER_COR_ADV_NONFATAL)
          .rw(base + ExtendedCapabilities.AER_COR_MASK, 4, cor)
          .sticky(base + ExtendedCapabilities.AER_COR_MASK, 4, cor);
      int ctl = ExtendedCapabilities.AER_CAP_ECRC_GEN_ENABLE
          | ExtendedCapabilities.AER_CAP_ECRC_CHECK_ENABLE;
      b.value(base + ExtendedCapabilities.AER_CAP_CONTROL, 4,
              ExtendedCapabilities.AER_CAP_ECRC_GEN_CAPABLE
                  | ExtendedCapabilities.AER_CAP_ECRC_CHECK_CAPABLE)
          .rw(base + ExtendedCapabilities.AER_CAP_CONTROL, 4, ctl)
          .sticky(base + ExtendedCapabilities.AER_CAP_CONTROL, 4, ctl);
      for (int i = 0; i < 4; i++) {
        b.sticky(base + ExtendedCapabilities.AER_HEADER_LOG + 4 * i, 4, -1);
      }
    }
  }

  /** Device Serial Number: two read-only dwords. */
  private static final class SerialNumberStub implements Capability {
    @Override
    public int id() {
      return CapabilityId.EXT_DSN;
    }

    @Override
    public int length() {
      return ExtendedCapabilities.DSN_LENGTH;
    }

    @Override
    public boolean extended() {
      return true;
    }

    @Override
    public void install(LayoutBuilder b, int base) {
      b.value(base + ExtendedCapabilities.DSN_SERIAL_LO, 4, 0x0BADCAFE);
      b.value(base + ExtendedCapabilities.DSN_SERIAL_HI, 4, 0x00253800);
    }
  }
}
