package io.pciefarm.caps;

import static io.pciefarm.caps.Probe.assertHex;
import static io.pciefarm.caps.Probe.rwBits;
import static io.pciefarm.caps.Probe.space;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pciefarm.config.ConfigSpace;
import org.junit.jupiter.api.Test;

class AriCapabilityTest {
  @Test
  void nextFunctionIsReadOnlyAndControlReadsZero() {
    AriCapability ari = AriCapability.of(4);
    assertEquals(8, ari.length());
    ConfigSpace s = space(ari);
    assertHex(0x0001000E, s.read(0x100, 4), "header: ARI version 1, end of list");
    assertHex(0x0400, s.read(0x104, 2), "next function 4, no function groups");
    assertHex(0, s.read(0x106, 2), "control");
    assertHex(0, rwBits(s, 0x104, 4), "writable bits");
    assertHex(0xFF00, space(AriCapability.of(255)).read(0x104, 2), "next function 255");
  }

  @Test
  void refusesFunctionNumbersOutsideAByte() {
    assertThrows(IllegalArgumentException.class, () -> AriCapability.of(256));
    assertThrows(IllegalArgumentException.class, () -> AriCapability.of(-1));
  }
}
