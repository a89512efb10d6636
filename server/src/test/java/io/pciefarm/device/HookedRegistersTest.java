package io.pciefarm.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.config.ConfigSpace;
import io.pciefarm.config.Register;
import io.pciefarm.spec.AdvancedFeatures;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.ExtendedCapabilities;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.Msi;
import io.pciefarm.spec.MsiX;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.PowerManagement;
import io.pciefarm.spec.Type1;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every register with behaviour, on the catalog models that have it: what a write reads back as,
 * and what the listener is told. The engines that act on these (resets, hot-plug, routing) build
 * on exactly these reports.
 */
class HookedRegistersTest {
  /** One listener call: register, old, new, written. */
  record Call(Register register, int oldValue, int newValue, int written) {}

  private static ConfigSpace instance(String model, int fn, List<Call> calls) {
    ConfigSpace c = new ConfigSpace(Catalog.get(model).function(fn).layout());
    c.listener((space, reg, o, n, w) -> calls.add(new Call(reg.register(), o, n, w)));
    return c;
  }

  @Test
  void initiateFlrReadsBackZeroAndIsReported() {
    List<Call> calls = new ArrayList<>();
    ConfigSpace c = instance("nvme-ssd", 0, calls);
    int devctl = c.layout().capability(CapabilityId.EXP) + PciExpress.DEVICE_CONTROL;
    int before = c.read(devctl, 2);
    c.write(devctl, 2, before | PciExpress.DEVCTL_BCR_FLR);
    assertEquals(before, c.read(devctl, 2), "Initiate FLR always reads 0");
    assertEquals(List.of(new Call(Register.DEVICE_CONTROL, before, before,
        before | PciExpress.DEVCTL_BCR_FLR)), calls);
  }

  @Test
  void afInitiateFlrReadsBackZeroAndIsReported() {
    List<Call> calls = new ArrayList<>();
    ConfigSpace c = instance("qat-rciep", 0, calls);
    int ctl = c.layout().capability(CapabilityId.AF) + AdvancedFeatures.CONTROL;
    c.write(ctl, 1, AdvancedFeatures.CONTROL_INITIATE_FLR);
    assertEquals(0, c.read(ctl, 1));
    assertEquals(List.of(new Call(Register.AF_CONTROL, 0, 0, 1)), calls);
  }

  @Test
  void commandStoresDecodeBitsOnly() {
    List<Call> calls = new ArrayList<>();
    ConfigSpace c = instance("nvme-ssd", 0, calls);
    c.write(Header.COMMAND, 2, 0xFFFF);
    int want = Header.COMMAND_MEMORY | Header.COMMAND_MASTER | Header.COMMAND_PARITY
        | Header.COMMAND_SERR | Header.COMMAND_INTX_DISABLE; // no I/O BAR: I/O enable is RO 0
    assertEquals(want, c.read(Header.COMMAND, 2));
    assertEquals(new Call(Register.COMMAND, 0, want, 0xFFFF), calls.get(0));
  }

  @Test
  void pmcsrPowerStateAndPmeBits() {
    List<Call> calls = new ArrayList<>();
    ConfigSpace c = instance("gpu", 0, calls);
    int pmcsr = c.layout().capability(CapabilityId.PM) + PowerManagement.PMCSR;
    c.write(pmcsr, 2, PowerManagement.PMCSR_D3HOT);
    assertEquals(PowerManagement.PMCSR_D3HOT, c.read(pmcsr, 2) & PowerManagement.PMCSR_STATE_MASK);
    assertEquals(0, c.read(pmcsr, 2) & PowerManagement.PMCSR_NO_SOFT_RESET, "GPU claims PM reset");
    assertEquals(Register.PM_CONTROL, calls.get(0).register());
    assertEquals(PowerManagement.PMCSR_D3HOT, calls.get(0).newValue() & 3);
  }

  @Test
  void bridgeControlSecondaryBusResetAndBusNumbers() {
    List<Call> calls = new ArrayList<>();
    ConfigSpace c = instance("root-port-hotplug-acs", 0, calls);
    c.write(Type1.BRIDGE_CONTROL, 2, Type1.BRIDGE_CTL_BUS_RESET | Type1.BRIDGE_CTL_SERR);
    assertEquals(Type1.BRIDGE_CTL_BUS_RESET | Type1.BRIDGE_CTL_SERR, c.read(Type1.BRIDGE_CONTROL, 2));
    c.write(Type1.PRIMARY_BUS, 4, 0x00_05_03_00);
    assertEquals(0x00_05_03_00, c.read(Type1.PRIMARY_BUS, 4), "PCIe: secondary latency RO 0");
    assertEquals(List.of(Register.BRIDGE_CONTROL, Register.BUS_NUMBERS),
        calls.stream().map(Call::register).toList());
  }

  @Test
  void slotControlIsACommandAndSlotStatusClearsByOne() {
    List<Call> calls = new ArrayList<>();
    ConfigSpace c = instance("root-port-hotplug-acs", 0, calls);
    int exp = c.layout().capability(CapabilityId.EXP);
    int ctl = exp + PciExpress.SLOT_CONTROL;
    int sta = exp + PciExpress.SLOT_STATUS;
    int enables = PciExpress.SLTCTL_ABPE | PciExpress.SLTCTL_PDCE | PciExpress.SLTCTL_HPIE
        | PciExpress.SLTCTL_DLLSCE | PciExpress.SLTCTL_CCIE;
    c.write(ctl, 2, enables);
    assertEquals(enables, c.read(ctl, 2) & enables);
    c.write(ctl, 2, c.read(ctl, 2)); // same value again: still a command
    assertEquals(2, calls.stream().filter(k -> k.register() == Register.SLOT_CONTROL).count());
    c.hardwareUpdate(sta, 2, 0, PciExpress.SLTSTA_PDC | PciExpress.SLTSTA_CC);
    c.write(sta, 2, PciExpress.SLTSTA_PDC);
    assertEquals(PciExpress.SLTSTA_CC, c.read(sta, 2) & (PciExpress.SLTSTA_PDC | PciExpress.SLTSTA_CC));
    assertTrue(calls.stream().anyMatch(k -> k.register() == Register.SLOT_STATUS));
  }

  @Test
  void msiAndMsixEnable() {
    List<Call> calls = new ArrayList<>();
    ConfigSpace c = instance("nvme-ssd", 0, calls);
    int msi = c.layout().capability(CapabilityId.MSI) + Msi.CONTROL;
    int msix = c.layout().capability(CapabilityId.MSIX) + MsiX.CONTROL;
    c.write(msi, 2, Msi.CONTROL_ENABLE);
    c.write(msix, 2, MsiX.CONTROL_ENABLE | MsiX.CONTROL_FUNCTION_MASK);
    assertEquals(Msi.CONTROL_ENABLE, c.read(msi, 2) & Msi.CONTROL_ENABLE);
    assertEquals(MsiX.CONTROL_ENABLE | MsiX.CONTROL_FUNCTION_MASK | 32, c.read(msix, 2));
    assertEquals(List.of(Register.MSI_CONTROL, Register.MSIX_CONTROL),
        calls.stream().map(Call::register).toList());
  }

  @Test
  void acsControlStoresOnlyImplementedControls() {
    List<Call> calls = new ArrayList<>();
    ConfigSpace c = instance("switch-downstream-port-hotplug", 0, calls);
    int acs = c.layout().extendedCapability(CapabilityId.EXT_ACS);
    c.write(acs + ExtendedCapabilities.ACS_CONTROL, 2, 0xFFFF);
    int cap = c.read(acs + ExtendedCapabilities.ACS_CAPABILITY, 2);
    assertEquals(cap & 0x7F, c.read(acs + ExtendedCapabilities.ACS_CONTROL, 2));
    assertEquals(Register.ACS_CONTROL, calls.get(0).register());
  }
}
