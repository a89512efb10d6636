package io.pciefarm.caps;

import static io.pciefarm.caps.Probe.assertHex;
import static io.pciefarm.caps.Probe.record;
import static io.pciefarm.caps.Probe.rwBits;
import static io.pciefarm.caps.Probe.space;
import static io.pciefarm.caps.Probe.stickyBits;
import static io.pciefarm.caps.Probe.w1cBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pciefarm.config.ConfigSpace;
import io.pciefarm.config.HookedRegister;
import io.pciefarm.config.Register;
import io.pciefarm.spec.MsiX;
import org.junit.jupiter.api.Test;

class MsiXCapabilityTest {
  private static final int BASE = 0x40;

  @Test
  void registers() {
    MsiXCapability cap = MsiXCapability.of(64, 2, 0x2000, 4, 0x3000);
    assertEquals(12, cap.length());
    ConfigSpace s = space(cap);
    assertHex(0x11, s.read(BASE, 1), "ID");
    assertHex(0x003F, s.read(BASE + 2, 2), "control: table size N-1");
    assertHex(0xC000, rwBits(s, BASE + 2, 2), "control writable bits");
    assertHex(0x00002002, s.read(BASE + 4, 4), "table offset/BIR");
    assertHex(0x00003004, s.read(BASE + 8, 4), "PBA offset/BIR");
    assertHex(0, rwBits(s, BASE + 4, 4), "table register writable bits");
    assertHex(0, rwBits(s, BASE + 8, 4), "PBA register writable bits");
    assertHex(0, w1cBits(s, BASE, 4), "RW1C bits");
    assertHex(0, stickyBits(s, BASE, 4), "sticky bits");
  }

  @Test
  void largestTableAndHighOffsets() {
    ConfigSpace s = space(MsiXCapability.of(2048, 0, 0xFFFFFFF8, 5, 0x80000000));
    assertHex(0x07FF, s.read(BASE + 2, 2), "table size 2048");
    assertHex(0xFFFFFFF8, s.read(BASE + 4, 4), "table register");
    assertHex(0x80000005, s.read(BASE + 8, 4), "PBA register");
  }

  @Test
  void controlWritesReachTheListener() {
    ConfigSpace s = space(MsiXCapability.of(8, 0, 0, 0, 0x800));
    Probe.Recorder r = record(s);
    s.write(BASE + 2, 2, MsiX.CONTROL_ENABLE | MsiX.CONTROL_FUNCTION_MASK | 0x7FF);
    Probe.Call c = r.only();
    assertEquals(new HookedRegister(Register.MSIX_CONTROL, BASE + 2, 2), c.register());
    assertHex(0x0007, c.oldValue(), "old");
    assertHex(0xC007, c.newValue(), "new: table size unchanged");
    assertHex(0xC7FF, c.written(), "written");
  }

  @Test
  void refusesImpossibleFields() {
    assertThrows(IllegalArgumentException.class, () -> MsiXCapability.of(0, 0, 0, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> MsiXCapability.of(2049, 0, 0, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> MsiXCapability.of(1, 6, 0, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> MsiXCapability.of(1, 0, 0, -1, 0));
    assertThrows(IllegalArgumentException.class, () -> MsiXCapability.of(1, 0, 4, 0, 0));
    assertThrows(IllegalArgumentException.class, () -> MsiXCapability.of(1, 0, 0, 0, 0x101));
  }
}
