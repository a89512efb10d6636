package io.pciefarm.device;

import io.pciefarm.caps.AcsCapability;
import io.pciefarm.caps.AerCapability;
import io.pciefarm.caps.BridgeSubsystemCapability;
import io.pciefarm.caps.MsiCapability;
import io.pciefarm.caps.PciExpressCapability;
import io.pciefarm.caps.PowerManagementCapability;
import io.pciefarm.caps.SlotCapabilities;
import io.pciefarm.spec.ExtendedCapabilities;
import io.pciefarm.spec.PortType;

/**
 * Root ports, switch ports and bridges. IDs and capability sets follow real parts (Intel PCH root
 * ports, a Broadcom/PLX PEX 8747 switch, an ASMedia ASM1083 bridge) so that lspci output looks
 * like a machine a person has seen.
 */
final class PortModels {
  private PortModels() {}

  private static final int INTEL = 0x8086;
  private static final int PLX = 0x10b5;
  private static final int ASMEDIA = 0x1b21;
  private static final int CLASS_PCI_BRIDGE = 0x060400;
  /** ACS controls a root or downstream port implements: SV, TB, RR, CR, UF. */
  private static final int PORT_ACS = ExtendedCapabilities.ACS_SV | ExtendedCapabilities.ACS_TB
      | ExtendedCapabilities.ACS_RR | ExtendedCapabilities.ACS_CR | ExtendedCapabilities.ACS_UF;

  static DeviceModel rootPort(String name, int deviceId, boolean slot, boolean acs) {
    return rootPort(name, deviceId, slot ? SlotCapabilities.pciehp() : null, acs);
  }

  private static DeviceModel rootPort(String name, int deviceId, SlotCapabilities slotCaps,
      boolean acs) {
    boolean slot = slotCaps != null;
    PciExpressCapability.Builder exp = PciExpressCapability.builder(PortType.ROOT_PORT)
        .link(3, 4).dllActiveReporting(true).rrsSoftwareVisibility(true).ariForwarding(true);
    if (slot) {
      exp.slot(slotCaps);
    }
    FunctionModel.Spec f = FunctionModel.bridge("Intel Corporation Cannon Lake PCH PCI Express Root Port")
        .ids(INTEL, deviceId).classCode(CLASS_PCI_BRIDGE).revision(0xf0).interruptPin(1)
        .express(PortType.ROOT_PORT)
        .capability(exp.build())
        .capability(MsiCapability.builder().vectors(1).address64(false).perVectorMask(false).build())
        .capability(BridgeSubsystemCapability.of(INTEL, 0x7270))
        .capability(pm())
        .capability(AerCapability.forPortType(PortType.ROOT_PORT));
    if (acs) {
      f.capability(AcsCapability.of(PORT_ACS));
    }
    return DeviceModel.named(name)
        .summary("PCIe root port" + (slot ? " with a native hot-plug slot" : "")
            + (acs ? ", ACS" : ", no ACS"))
        .slotVariant(slot ? caps -> rootPort(name, deviceId, caps, acs) : null)
        .function(0, f).build();
  }

  static DeviceModel switchUpstreamPort() {
    return DeviceModel.named("switch-upstream-port")
        .summary("PCIe switch upstream port (PEX 8747)")
        .function(0, FunctionModel.bridge("PLX Technology, Inc. PEX 8747 48-Lane, 5-Port PCI Express Gen 3 (8.0 GT/s) Switch")
            .ids(PLX, 0x8747).classCode(CLASS_PCI_BRIDGE).revision(0xca).interruptPin(1)
            .express(PortType.UPSTREAM_PORT)
            .capability(pm())
            .capability(MsiCapability.builder().vectors(1).address64(true).perVectorMask(true).build())
            .capability(PciExpressCapability.builder(PortType.UPSTREAM_PORT).link(3, 16).build())
            .capability(AerCapability.forPortType(PortType.UPSTREAM_PORT)))
        .build();
  }

  static DeviceModel switchDownstreamPort(String name, boolean slot) {
    return switchDownstreamPort(name, slot ? SlotCapabilities.pciehp() : null);
  }

  private static DeviceModel switchDownstreamPort(String name, SlotCapabilities slotCaps) {
    boolean slot = slotCaps != null;
    PciExpressCapability.Builder exp = PciExpressCapability.builder(PortType.DOWNSTREAM_PORT)
        .link(3, 8).dllActiveReporting(true).ariForwarding(true);
    if (slot) {
      exp.slot(slotCaps);
    }
    return DeviceModel.named(name)
        .slotVariant(slot ? caps -> switchDownstreamPort(name, caps) : null)
        .summary("PCIe switch downstream port (PEX 8747)" + (slot ? " with a native hot-plug slot" : ""))
        .function(0, FunctionModel.bridge("PLX Technology, Inc. PEX 8747 48-Lane, 5-Port PCI Express Gen 3 (8.0 GT/s) Switch")
            .ids(PLX, 0x8747).classCode(CLASS_PCI_BRIDGE).revision(0xca).interruptPin(1)
            .express(PortType.DOWNSTREAM_PORT)
            .capability(pm())
            .capability(MsiCapability.builder().vectors(1).address64(true).perVectorMask(true).build())
            .capability(exp.build())
            .capability(BridgeSubsystemCapability.of(PLX, 0x8747))
            .capability(AerCapability.forPortType(PortType.DOWNSTREAM_PORT))
            .capability(AcsCapability.of(PORT_ACS)))
        .build();
  }

  static DeviceModel pcieToPciBridge() {
    return DeviceModel.named("pcie-to-pci-bridge")
        .summary("PCIe-to-PCI bridge (ASM1083): conventional devices behind it share one group")
        .function(0, FunctionModel.bridge("ASMedia Technology Inc. ASM1083/1085 PCIe to PCI Bridge")
            .ids(ASMEDIA, 0x1080).classCode(CLASS_PCI_BRIDGE).revision(0x04)
            .express(PortType.PCIE_TO_PCI_BRIDGE)
            .capability(MsiCapability.builder().vectors(1).address64(true).perVectorMask(false).build())
            .capability(pm())
            .capability(PciExpressCapability.builder(PortType.PCIE_TO_PCI_BRIDGE).link(1, 1).build())
            .capability(BridgeSubsystemCapability.of(ASMEDIA, 0x1080)))
        .build();
  }

  /** Ports implement PM with PME from every state; No_Soft_Reset set, as on real ports. */
  private static PowerManagementCapability pm() {
    return PowerManagementCapability.builder().version(3).d1(false).d2(false)
        .pmeSupport(0b11001).noSoftReset(true).build();
  }
}
