package io.pciefarm.caps;

import static io.pciefarm.caps.Probe.assertHex;
import static io.pciefarm.caps.Probe.record;
import static io.pciefarm.caps.Probe.rwBits;
import static io.pciefarm.caps.Probe.space;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.config.ConfigSpace;
import io.pciefarm.config.HookedRegister;
import io.pciefarm.config.Register;
import org.junit.jupiter.api.Test;

class AdvancedFeaturesCapabilityTest {
  private static final int BASE = 0x40;

  @Test
  void registers() {
    AdvancedFeaturesCapability af = AdvancedFeaturesCapability.of(true, true);
    assertEquals(6, af.length());
    ConfigSpace s = space(af);
    assertHex(0x13, s.read(BASE, 1), "ID");
    assertHex(0x06, s.read(BASE + 2, 1), "length byte");
    assertHex(0x03, s.read(BASE + 3, 1), "AF capabilities: TP and FLR");
    assertHex(0, rwBits(s, BASE, 4), "header, length and capabilities are read-only");
    assertHex(0, rwBits(s, BASE + 4, 2), "control and status store nothing");
    assertHex(0, s.read(BASE + 4, 2), "control and status reset value");
  }

  @Test
  void initiateFlrIsATriggerReportedToTheListener() {
    ConfigSpace s = space(AdvancedFeaturesCapability.of(true, true));
    Probe.Recorder r = record(s);
    s.write(BASE + 4, 1, 0x01);
    assertHex(0, s.read(BASE + 4, 1), "Initiate FLR reads back 0");
    Probe.Call c = r.only();
    assertEquals(new HookedRegister(Register.AF_CONTROL, BASE + 4, 1), c.register());
    assertHex(0, c.oldValue(), "old");
    assertHex(0, c.newValue(), "new");
    assertHex(1, c.written(), "written");
    assertHex(0x1, s.layout().triggerMask((BASE + 4) >>> 2) & 0xFF, "trigger mask");
  }

  @Test
  void transactionsPendingIsHardwareState() {
    ConfigSpace s = space(AdvancedFeaturesCapability.of(true, true));
    s.hardwareUpdate(BASE + 5, 1, 0, 0x01);
    s.write(BASE + 5, 1, 0x01);
    assertHex(0x01, s.read(BASE + 5, 1), "TP is not cleared by software");
    s.write(BASE + 5, 1, 0x00);
    assertHex(0x01, s.read(BASE + 5, 1), "TP is not written by software");
  }

  @Test
  void withoutFlrControlHasNoBehaviour() {
    ConfigSpace s = space(AdvancedFeaturesCapability.of(true, false));
    assertHex(0x01, s.read(BASE + 3, 1), "AF capabilities: TP only");
    Probe.Recorder r = record(s);
    s.write(BASE + 4, 1, 0x01);
    assertHex(0, s.read(BASE + 4, 1), "control reads 0");
    assertTrue(r.calls.isEmpty(), "no listener call without FLR");
    assertTrue(s.layout().offsetOf(Register.AF_CONTROL).isEmpty());
  }
}
