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
import io.pciefarm.spec.ExtendedCapabilities;
import org.junit.jupiter.api.Test;

class AcsCapabilityTest {
  private static final int BASE = 0x100;

  @Test
  void controlBitsAreWritableExactlyWhereCapable() {
    AcsCapability acs = AcsCapability.of(ExtendedCapabilities.ACS_ISOLATION);
    assertEquals(8, acs.length());
    ConfigSpace s = space(acs, DsnCapability.of(7));
    assertHex(0x1081000D, s.read(BASE, 4), "header: ACS version 1, next at 108h");
    assertHex(0x001D, s.read(BASE + 4, 2), "capability: SV RR CR UF");
    assertHex(0, rwBits(s, BASE + 4, 2), "capability writable bits");
    assertHex(0, s.read(BASE + 6, 2), "control reset");
    assertHex(0x001D, rwBits(s, BASE + 6, 2), "control writable bits");
    assertHex(0, w1cBits(s, BASE + 4, 4), "RW1C bits");
    assertHex(0, stickyBits(s, BASE + 4, 4), "sticky bits");
  }

  @Test
  void eachCapabilityBitUnlocksOnlyItsControlBit() {
    for (int bit = 0; bit < 7; bit++) {
      int cap = 1 << bit;
      if (cap == ExtendedCapabilities.ACS_EC) {
        cap |= 1 << ExtendedCapabilities.ACS_EGRESS_VECTOR_SIZE_SHIFT;
      }
      ConfigSpace s = space(AcsCapability.of(cap));
      assertHex(1 << bit, rwBits(s, BASE + 6, 2), "control for capability bit " + bit);
    }
  }

  @Test
  void controlWritesReachTheListener() {
    ConfigSpace s = space(AcsCapability.of(0x5F));
    Probe.Recorder r = record(s);
    s.write(BASE + 6, 2, 0xFFFF);
    Probe.Call c = r.only();
    assertEquals(new HookedRegister(Register.ACS_CONTROL, BASE + 6, 2), c.register());
    assertHex(0, c.oldValue(), "old");
    assertHex(0x5F, c.newValue(), "new");
    assertHex(0xFFFF, c.written(), "written");
  }

  @Test
  void egressControlVector() {
    AcsCapability acs = AcsCapability.of(0x7F | (8 << 8));
    assertEquals(12, acs.length());
    ConfigSpace s = space(acs);
    assertHex(0x087F, s.read(BASE + 4, 2), "capability with vector size 8");
    assertHex(0x7F, rwBits(s, BASE + 6, 2), "control writable bits");
    assertHex(0xFF, rwBits(s, BASE + 8, 4), "eight egress bits");

    AcsCapability forty = AcsCapability.of(ExtendedCapabilities.ACS_EC | (40 << 8));
    assertEquals(16, forty.length());
    ConfigSpace s40 = space(forty);
    assertHex(-1, rwBits(s40, BASE + 8, 4), "egress bits 31:0");
    assertHex(0xFF, rwBits(s40, BASE + 0xC, 4), "egress bits 39:32");

    AcsCapability full = AcsCapability.of(ExtendedCapabilities.ACS_EC);
    assertEquals(256, full.egressVectorBits(), "size 0 means 256");
    assertEquals(8 + 32, full.length());
    ConfigSpace s256 = space(full);
    for (int i = 0; i < 8; i++) {
      assertHex(-1, rwBits(s256, BASE + 8 + 4 * i, 4), "egress dword " + i);
    }
  }

  @Test
  void refusesBitsItDoesNotModel() {
    assertThrows(IllegalArgumentException.class, () -> AcsCapability.of(0x80));
    assertThrows(IllegalArgumentException.class, () -> AcsCapability.of(0x10000));
    assertThrows(IllegalArgumentException.class, () -> AcsCapability.of(0x1D | (4 << 8)));
  }
}
