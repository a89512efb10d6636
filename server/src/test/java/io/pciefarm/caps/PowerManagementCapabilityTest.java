package io.pciefarm.caps;

import static io.pciefarm.caps.Probe.assertHex;
import static io.pciefarm.caps.Probe.record;
import static io.pciefarm.caps.Probe.rwBits;
import static io.pciefarm.caps.Probe.space;
import static io.pciefarm.caps.Probe.stickyBits;
import static io.pciefarm.caps.Probe.w1cBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.config.ConfigSpace;
import io.pciefarm.config.HookedRegister;
import io.pciefarm.config.Register;
import io.pciefarm.spec.PowerManagement;
import org.junit.jupiter.api.Test;

class PowerManagementCapabilityTest {
  private static final int BASE = 0x40;
  private static final int PMC = BASE + 2;
  private static final int PMCSR = BASE + 4;

  private static PowerManagementCapability withPme() {
    return PowerManagementCapability.builder().version(3).d1(true).d2(false)
        .pmeSupport(PowerManagement.PME_SUPPORT_D0 | PowerManagement.PME_SUPPORT_D3HOT
            | PowerManagement.PME_SUPPORT_D3COLD)
        .noSoftReset(true).build();
  }

  @Test
  void pmcIsReadOnlyAndEncodesTheModel() {
    ConfigSpace s = space(withPme());
    assertHex(0x01, s.read(BASE, 1), "capability ID");
    assertHex(0x00, s.read(BASE + 1, 1), "next pointer");
    // version 3, D1 (bit 9), PME from D0, D3hot, D3cold (bits 11, 14, 15)
    assertHex(0xCA03, s.read(PMC, 2), "PMC");
    assertHex(0, rwBits(s, PMC, 2), "PMC writable bits");
  }

  @Test
  void pmcsrWithPmeSupport() {
    ConfigSpace s = space(withPme());
    assertHex(PowerManagement.PMCSR_NO_SOFT_RESET, s.read(PMCSR, 2), "PMCSR reset value");
    // power state and PME_En store; No_Soft_Reset, Data_Select/Scale and reserved do not
    assertHex(0x0103, rwBits(s, PMCSR, 2), "PMCSR writable bits");
    assertHex(0x8000, w1cBits(s, PMCSR, 2), "PMCSR RW1C bits");
    assertHex(0x8100, stickyBits(s, PMCSR, 2), "PMCSR sticky bits");
    assertHex(0x8000, Probe.afterWritingZeroToSetBits(s, PMCSR, 2, 0x8000),
        "PME_Status after writing 0");
  }

  @Test
  void pmeStatusAndEnableSurviveAWarmResetButNotAColdOne() {
    ConfigSpace s = space(withPme());
    s.write(PMCSR, 2, PowerManagement.PMCSR_PME_ENABLE | PowerManagement.PMCSR_D3HOT);
    s.hardwareUpdate(PMCSR, 2, 0, PowerManagement.PMCSR_PME_STATUS);
    s.reset(true);
    assertHex(0x8108, s.read(PMCSR, 2), "after warm reset: D0, PME_En and PME_Status kept");
    s.reset(false);
    assertHex(0x0008, s.read(PMCSR, 2), "after cold reset");
  }

  @Test
  void pmcsrWithoutPmeSupportHasOnlyThePowerState() {
    ConfigSpace s = space(PowerManagementCapability.builder().build());
    assertHex(0x0003, s.read(PMC, 2), "PMC: version 3 only");
    assertHex(0x0000, s.read(PMCSR, 2), "PMCSR reset value");
    assertHex(0x0003, rwBits(s, PMCSR, 2), "PMCSR writable bits");
    assertHex(0, w1cBits(s, PMCSR, 2), "PMCSR RW1C bits");
    assertHex(0, stickyBits(s, PMCSR, 2), "PMCSR sticky bits");
  }

  @Test
  void bridgeExtensionsAndDataReadZero() {
    ConfigSpace s = space(withPme());
    assertHex(0, s.read(BASE + 6, 1), "PMCSR_BSE");
    assertHex(0, s.read(BASE + 7, 1), "Data");
    assertHex(0, rwBits(s, BASE + 6, 2), "BSE/Data writable bits");
  }

  @Test
  void pmcsrWritesReachTheListener() {
    ConfigSpace s = space(withPme());
    Probe.Recorder r = record(s);
    s.write(PMCSR, 2, PowerManagement.PMCSR_D3HOT);
    Probe.Call c = r.only();
    assertEquals(new HookedRegister(Register.PM_CONTROL, PMCSR, 2), c.register());
    assertHex(0x0008, c.oldValue(), "old");
    assertHex(0x000B, c.newValue(), "new");
    assertHex(0x0003, c.written(), "written");
  }

  @Test
  void structure() {
    PowerManagementCapability pm = withPme();
    assertEquals(0x01, pm.id());
    assertEquals(8, pm.length());
    assertFalse(pm.extended());
    assertTrue(pm.supportsState(PowerManagement.PMCSR_D1));
    assertFalse(pm.supportsState(PowerManagement.PMCSR_D2));
    assertTrue(pm.supportsState(PowerManagement.PMCSR_D3HOT));
  }

  @Test
  void refusesInconsistentModels() {
    assertThrows(IllegalStateException.class, () -> PowerManagementCapability.builder()
        .pmeSupport(PowerManagement.PME_SUPPORT_D1).build());
    assertThrows(IllegalStateException.class, () -> PowerManagementCapability.builder()
        .d1(true).pmeSupport(PowerManagement.PME_SUPPORT_D2).build());
    assertThrows(IllegalArgumentException.class,
        () -> PowerManagementCapability.builder().pmeSupport(0x20));
    assertThrows(IllegalArgumentException.class,
        () -> PowerManagementCapability.builder().version(4));
  }
}
