package io.pciefarm.caps;

import static io.pciefarm.caps.Probe.assertHex;
import static io.pciefarm.caps.Probe.rwBits;
import static io.pciefarm.caps.Probe.space;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pciefarm.config.ConfigSpace;
import org.junit.jupiter.api.Test;

class BridgeSubsystemCapabilityTest {
  private static final int BASE = 0x40;

  @Test
  void registersAreReadOnly() {
    BridgeSubsystemCapability cap = BridgeSubsystemCapability.of(0x8086, 0x7270);
    assertEquals(8, cap.length());
    assertEquals(0x0D, cap.id());
    ConfigSpace s = space(cap);
    assertHex(0x000D, s.read(BASE, 2), "ID, last in list");
    assertHex(0, s.read(BASE + 2, 2), "reserved");
    assertHex(0x8086, s.read(BASE + 4, 2), "subsystem vendor");
    assertHex(0x7270, s.read(BASE + 6, 2), "subsystem ID");
    assertHex(0, rwBits(s, BASE, 4), "first dword writable bits");
    assertHex(0, rwBits(s, BASE + 4, 4), "second dword writable bits");
  }

  @Test
  void refusesValuesWiderThan16Bits() {
    assertThrows(IllegalArgumentException.class, () -> BridgeSubsystemCapability.of(0x10000, 0));
    assertThrows(IllegalArgumentException.class, () -> BridgeSubsystemCapability.of(0, -1));
  }
}
