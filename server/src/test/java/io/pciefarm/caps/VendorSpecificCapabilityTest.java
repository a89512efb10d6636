package io.pciefarm.caps;

import static io.pciefarm.caps.Probe.assertHex;
import static io.pciefarm.caps.Probe.rwBits;
import static io.pciefarm.caps.Probe.space;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pciefarm.config.ConfigLayout;
import io.pciefarm.config.ConfigSpace;
import io.pciefarm.config.LayoutBuilder;
import org.junit.jupiter.api.Test;

class VendorSpecificCapabilityTest {
  private static final int BASE = 0x40;

  @Test
  void lengthByteAndPayloadAreReadOnly() {
    byte[] payload = {0x11, 0x22, 0x33, 0x44, (byte) 0xF5};
    VendorSpecificCapability cap = VendorSpecificCapability.of(payload);
    payload[0] = 0;
    assertEquals(8, cap.length());
    ConfigSpace s = space(cap, MsiXCapability.of(1, 0, 0, 0, 8));
    assertHex(0x09, s.read(BASE, 1), "ID");
    assertHex(0x48, s.read(BASE + 1, 1), "next capability after 8 bytes");
    assertHex(0x08, s.read(BASE + 2, 1), "length byte: 3 + payload");
    assertHex(0x11, s.read(BASE + 3, 1), "payload byte 0 (copied before the caller changed it)");
    assertHex(0xF5443322, s.read(BASE + 4, 4), "payload bytes 1..4");
    assertHex(0, rwBits(s, BASE, 4), "first dword writable bits");
    assertHex(0, rwBits(s, BASE + 4, 4), "second dword writable bits");
    assertEquals(0x11, cap.payload()[0]);
  }

  @Test
  void emptyPayload() {
    ConfigSpace s = space(VendorSpecificCapability.of(new byte[0]));
    assertHex(0x03, s.read(BASE + 2, 1), "length byte");
    assertHex(0, s.read(BASE + 3, 1), "nothing after the header");
  }

  @Test
  void refusesPayloadsTheLengthByteOrTheListCannotHold() {
    assertThrows(IllegalArgumentException.class, () -> VendorSpecificCapability.of(new byte[253]));
    VendorSpecificCapability big = VendorSpecificCapability.of(new byte[200]);
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    assertThrows(IllegalStateException.class, () -> b.add(big));
  }

  @Test
  void equalityFollowsThePayload() {
    assertEquals(VendorSpecificCapability.of(new byte[] {1, 2}),
        VendorSpecificCapability.of(new byte[] {1, 2}));
    assertEquals(VendorSpecificCapability.of(new byte[] {1, 2}).hashCode(),
        VendorSpecificCapability.of(new byte[] {1, 2}).hashCode());
  }
}
