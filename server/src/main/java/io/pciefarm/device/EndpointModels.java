package io.pciefarm.device;

import io.pciefarm.caps.AdvancedFeaturesCapability;
import io.pciefarm.caps.AerCapability;
import io.pciefarm.caps.AriCapability;
import io.pciefarm.caps.DsnCapability;
import io.pciefarm.caps.MsiCapability;
import io.pciefarm.caps.MsiXCapability;
import io.pciefarm.caps.PciExpressCapability;
import io.pciefarm.caps.PowerManagementCapability;
import io.pciefarm.caps.SrIovCapability;
import io.pciefarm.config.Bar;
import io.pciefarm.config.ExpansionRom;
import io.pciefarm.spec.PortType;
import java.time.Duration;

/**
 * Endpoints, each chosen for the reset or assignment behaviour it brings: IDs, class codes,
 * BAR sizes and capability sets follow the real parts named in their descriptions.
 */
final class EndpointModels {
  private EndpointModels() {}

  static DeviceModel nvmeSsd() {
    return DeviceModel.named("nvme-ssd")
        .summary("NVMe SSD: FLR, MSI-X, 64-bit BAR, device-specific reset (disable then FLR)")
        .function(0, nvme("Samsung Electronics Co Ltd NVMe SSD Controller SM961/PM961", 0x144d,
            0xa804, 0x144d, 0xa801)
            .quirk(Quirk.DEVICE_SPECIFIC_RESET))
        .build();
  }

  static DeviceModel nvmeSsdSlowFlr() {
    return DeviceModel.named("nvme-ssd-slow-flr")
        .summary("NVMe SSD that is not ready until 1 s after FLR (Linux polls past its 100 ms wait)")
        .function(0, nvme("Intel Corporation NVMe Datacenter SSD [3DNAND, Beta Rock Controller]",
            0x8086, 0x0a54, 0x8086, 0x4802)
            .flrReadyDelay(Duration.ofSeconds(1)))
        .build();
  }

  private static FunctionModel.Spec nvme(String description, int vendor, int device,
      int subVendor, int subDevice) {
    return FunctionModel.endpoint(description)
        .ids(vendor, device).subsystem(subVendor, subDevice).classCode(0x010802).interruptPin(1)
        .express(PortType.ENDPOINT)
        .bar(0, Bar.mem64(16 * 1024))
        .capability(PowerManagementCapability.builder().version(3).d1(false).d2(false)
            .pmeSupport(0).noSoftReset(true).build())
        .capability(MsiCapability.builder().vectors(32).address64(true).perVectorMask(true).build())
        .capability(PciExpressCapability.builder(PortType.ENDPOINT).flr(true).maxPayload(256)
            .link(3, 4).build())
        .capability(MsiXCapability.of(33, 0, 0x3000, 0, 0x2000))
        .capability(AerCapability.forPortType(PortType.ENDPOINT))
        .capability(DsnCapability.of(0x0025_38b5_81b0_1234L));
  }

  static DeviceModel sriovNic() {
    return DeviceModel.named("nic-sriov")
        .summary("Dual-port 10GbE NIC: FLR, SR-IOV (64 VFs), ARI; functions share a group (no ACS)")
        .function(0, ixgbe(1))
        .function(1, ixgbe(0))
        .build();
  }

  private static FunctionModel.Spec ixgbe(int ariNext) {
    return FunctionModel.endpoint("Intel Corporation 82599ES 10-Gigabit SFI/SFP+ Network Connection")
        .ids(0x8086, 0x10fb).subsystem(0x8086, 0x000c).revision(0x01).classCode(0x020000)
        .interruptPin(1)
        .express(PortType.ENDPOINT)
        .bar(0, Bar.mem64Prefetchable(512 * 1024))
        .bar(2, Bar.io(32))
        .bar(4, Bar.mem64Prefetchable(16 * 1024))
        .rom(new ExpansionRom(512 * 1024))
        .capability(PowerManagementCapability.builder().version(3).d1(false).d2(false)
            .pmeSupport(0b11001).noSoftReset(false).build())
        .capability(MsiCapability.builder().vectors(1).address64(true).perVectorMask(true).build())
        .capability(MsiXCapability.of(64, 4, 0x0000, 4, 0x2000))
        .capability(PciExpressCapability.builder(PortType.ENDPOINT).flr(true).maxPayload(512)
            .link(2, 8).build())
        .capability(AerCapability.forPortType(PortType.ENDPOINT))
        .capability(DsnCapability.of(0x90e2_baff_ff12_3456L))
        .capability(AriCapability.of(ariNext))
        .capability(SrIovCapability.builder().totalVfs(64).initialVfs(64).vfOffset(0x80)
            .vfStride(2).vfDeviceId(0x10ed).supportedPageSizes(0x553)
            .vfBar(0, Bar.mem64Prefetchable(16 * 1024))
            .vfBar(3, Bar.mem64Prefetchable(16 * 1024)).build());
  }

  static DeviceModel gpu() {
    PowerManagementCapability pm = PowerManagementCapability.builder().version(3).d1(false)
        .d2(false).pmeSupport(0b11001).noSoftReset(false).build();
    return DeviceModel.named("gpu")
        .summary("GPU with HD-audio function: advertises PM reset that does nothing, no FLR")
        .function(0, FunctionModel.endpoint("NVIDIA Corporation GA106 [GeForce RTX 3060 Lite Hash Rate]")
            .ids(0x10de, 0x2503).subsystem(0x1462, 0x397d).revision(0xa1).classCode(0x030000)
            .interruptPin(1)
            .express(PortType.LEGACY_ENDPOINT)
            .bar(0, Bar.mem32(16 << 20))
            .bar(1, Bar.mem64Prefetchable(256L << 20))
            .bar(3, Bar.mem64Prefetchable(32 << 20))
            .bar(5, Bar.io(128))
            .rom(new ExpansionRom(512 * 1024))
            .capability(pm)
            .capability(MsiCapability.builder().vectors(1).address64(true).perVectorMask(false).build())
            .capability(PciExpressCapability.builder(PortType.LEGACY_ENDPOINT).maxPayload(256)
                .link(4, 16).build())
            .capability(AerCapability.forPortType(PortType.LEGACY_ENDPOINT))
            .quirk(Quirk.PM_RESET_NO_EFFECT))
        .function(1, FunctionModel.endpoint("NVIDIA Corporation GA106 High Definition Audio Controller")
            .ids(0x10de, 0x228e).subsystem(0x1462, 0x397d).revision(0xa1).classCode(0x040300)
            .interruptPin(2)
            .express(PortType.ENDPOINT)
            .bar(0, Bar.mem32(16 * 1024))
            .capability(pm)
            .capability(MsiCapability.builder().vectors(1).address64(true).perVectorMask(false).build())
            .capability(PciExpressCapability.builder(PortType.ENDPOINT).maxPayload(256)
                .link(4, 16).build())
            .quirk(Quirk.PM_RESET_NO_EFFECT))
        .build();
  }

  static DeviceModel busResetOnly() {
    return DeviceModel.named("usb3-bus-reset-only")
        .summary("USB 3.0 xHCI controller whose only reset is a bus reset: no FLR, No_Soft_Reset set")
        .function(0, FunctionModel.endpoint("Etron Technology, Inc. EJ168 USB 3.0 Host Controller")
            .ids(0x1b6f, 0x7023).subsystem(0x1b6f, 0x7023).revision(0x01).classCode(0x0c0330)
            .interruptPin(1)
            .express(PortType.ENDPOINT)
            .bar(0, Bar.mem64(32 * 1024))
            .capability(PowerManagementCapability.builder().version(3).d1(true).d2(true)
                .pmeSupport(0b11111).noSoftReset(true).build())
            .capability(MsiCapability.builder().vectors(4).address64(true).perVectorMask(false).build())
            .capability(PciExpressCapability.builder(PortType.ENDPOINT).maxPayload(128).link(2, 1)
                .build())
            .capability(MsiXCapability.of(8, 0, 0x3000, 0, 0x3080))
            .capability(AerCapability.forPortType(PortType.ENDPOINT)))
        .build();
  }

  static DeviceModel wifiNoBusReset() {
    return DeviceModel.named("wifi-no-bus-reset")
        .summary("Wi-Fi card that misbehaves after a bus reset (Linux quirks it NO_BUS_RESET): no reset at all")
        .function(0, FunctionModel.endpoint("Qualcomm Atheros QCA9565 / AR9565 Wireless Network Adapter")
            .ids(0x168c, 0x0036).subsystem(0x11ad, 0x0682).revision(0x01).classCode(0x028000)
            .interruptPin(1)
            .express(PortType.ENDPOINT)
            .bar(0, Bar.mem64(512 * 1024))
            .rom(new ExpansionRom(64 * 1024))
            .capability(PowerManagementCapability.builder().version(3).d1(true).d2(false)
                .pmeSupport(0b11011).noSoftReset(true).build())
            .capability(MsiCapability.builder().vectors(4).address64(true).perVectorMask(true).build())
            .capability(PciExpressCapability.builder(PortType.ENDPOINT).maxPayload(128).link(1, 1)
                .build())
            .capability(AerCapability.forPortType(PortType.ENDPOINT))
            .quirk(Quirk.NO_BUS_RESET))
        .build();
  }

  static DeviceModel nicNeverReady() {
    return DeviceModel.named("nic-flr-hang")
        .summary("2.5GbE NIC that never comes back after FLR (only a bus or cold reset recovers it)")
        .function(0, FunctionModel.endpoint("Realtek Semiconductor Co., Ltd. RTL8125 2.5GbE Controller")
            .ids(0x10ec, 0x8125).subsystem(0x1849, 0x8125).revision(0x05).classCode(0x020000)
            .interruptPin(1)
            .express(PortType.ENDPOINT)
            .bar(0, Bar.io(256))
            .bar(2, Bar.mem64(64 * 1024))
            .bar(4, Bar.mem64(16 * 1024))
            .capability(PowerManagementCapability.builder().version(3).d1(true).d2(true)
                .pmeSupport(0b11111).noSoftReset(true).build())
            .capability(MsiCapability.builder().vectors(1).address64(true).perVectorMask(true).build())
            .capability(PciExpressCapability.builder(PortType.ENDPOINT).flr(true).maxPayload(128)
                .link(2, 1).build())
            .capability(MsiXCapability.of(32, 4, 0x0000, 4, 0x0800))
            .capability(AerCapability.forPortType(PortType.ENDPOINT))
            .capability(DsnCapability.of(0x0100_0000_684c_e000L))
            .quirk(Quirk.NEVER_READY_AFTER_FLR))
        .build();
  }

  static DeviceModel sataSubPageBar() {
    return DeviceModel.named("sata-ahci-subpage-bar")
        .summary("SATA AHCI controller with a 512-byte memory BAR: smaller than a page, not assignable")
        .function(0, FunctionModel.endpoint("ASMedia Technology Inc. ASM1062 Serial ATA Controller")
            .ids(0x1b21, 0x0612).subsystem(0x1849, 0x0612).revision(0x02).classCode(0x010601)
            .interruptPin(1)
            .express(PortType.LEGACY_ENDPOINT)
            .bar(0, Bar.io(8))
            .bar(1, Bar.io(4))
            .bar(2, Bar.io(8))
            .bar(3, Bar.io(4))
            .bar(4, Bar.io(32))
            .bar(5, Bar.mem32(512))
            .capability(MsiCapability.builder().vectors(1).address64(false).perVectorMask(false).build())
            .capability(PowerManagementCapability.builder().version(3).d1(false).d2(false)
                .pmeSupport(0).noSoftReset(true).build())
            .capability(PciExpressCapability.builder(PortType.LEGACY_ENDPOINT).maxPayload(512)
                .link(2, 1).build()))
        .build();
  }

  static DeviceModel rcIntegratedAccelerator() {
    return DeviceModel.named("qat-rciep")
        .summary("Root-complex integrated crypto accelerator (QuickAssist C62x): FLR, AF FLR, Immediate Readiness")
        .function(0, FunctionModel.endpoint("Intel Corporation C62x Chipset QuickAssist Technology")
            .ids(0x8086, 0x37c8).subsystem(0x8086, 0x35cf).revision(0x04).classCode(0x0b4000)
            .interruptPin(1)
            .express(PortType.RC_INTEGRATED_ENDPOINT)
            .bar(0, Bar.mem64(512 * 1024))
            .bar(2, Bar.mem64(512 * 1024))
            .bar(4, Bar.mem64Prefetchable(8L << 20))
            .capability(PciExpressCapability.builder(PortType.RC_INTEGRATED_ENDPOINT).flr(true)
                .maxPayload(256).build())
            .capability(MsiXCapability.of(17, 0, 0x20000, 0, 0x22000))
            .capability(PowerManagementCapability.builder().version(3).d1(false).d2(false)
                .pmeSupport(0).noSoftReset(true).build())
            .capability(AdvancedFeaturesCapability.of(true, true))
            .immediateReadiness(true)
            .capability(AerCapability.forPortType(PortType.RC_INTEGRATED_ENDPOINT)))
        .build();
  }

  /** Conventional PCI devices for behind a PCIe-to-PCI bridge: 256-byte config space. */
  static DeviceModel conventionalNic() {
    return DeviceModel.named("pci-e1000")
        .summary("Conventional PCI gigabit NIC (82540EM): 256-byte config space, PM reset")
        .function(0, FunctionModel.endpoint("Intel Corporation 82540EM Gigabit Ethernet Controller")
            .ids(0x8086, 0x100e).subsystem(0x8086, 0x001e).revision(0x02).classCode(0x020000)
            .interruptPin(1)
            .bar(0, Bar.mem32(128 * 1024))
            .bar(1, Bar.io(64))
            .rom(new ExpansionRom(256 * 1024))
            .capability(PowerManagementCapability.builder().version(2).d1(false).d2(false)
                .pmeSupport(0b01001).noSoftReset(false).build()))
        .build();
  }

  static DeviceModel conventionalAudio() {
    return DeviceModel.named("pci-es1371")
        .summary("Conventional PCI sound card (ES1371) with no capabilities at all")
        .function(0, FunctionModel.endpoint("Ensoniq ES1371/ES1373 / Creative Labs CT2518")
            .ids(0x1274, 0x1371).subsystem(0x1274, 0x1371).revision(0x06).classCode(0x040100)
            .interruptPin(1)
            .bar(0, Bar.io(64)))
        .build();
  }
}
