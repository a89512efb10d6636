package io.pciefarm.caps;

import static io.pciefarm.caps.Probe.assertHex;
import static io.pciefarm.caps.Probe.rwBits;
import static io.pciefarm.caps.Probe.space;
import static io.pciefarm.caps.Probe.stickyBits;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pciefarm.config.ConfigSpace;
import org.junit.jupiter.api.Test;

class DsnCapabilityTest {
  @Test
  void serialIsTwoReadOnlyDwordsLowFirst() {
    DsnCapability dsn = DsnCapability.of(0x0011223344556677L);
    assertEquals(12, dsn.length());
    ConfigSpace s = space(dsn);
    assertHex(0x00010003, s.read(0x100, 4), "header: DSN version 1, end of list");
    assertHex(0x44556677, s.read(0x104, 4), "serial low");
    assertHex(0x00112233, s.read(0x108, 4), "serial high");
    assertHex(0, rwBits(s, 0x104, 4), "low writable bits");
    assertHex(0, rwBits(s, 0x108, 4), "high writable bits");
    assertHex(0, stickyBits(s, 0x104, 4), "not sticky");
  }

  @Test
  void perInstanceSerialIsAStrap() {
    ConfigSpace s = space(DsnCapability.of(0));
    s.strap(0x104, 4, 0xCAFE);
    s.reset(false);
    assertHex(0xCAFE, s.read(0x104, 4), "strapped serial survives a cold reset");
  }
}
