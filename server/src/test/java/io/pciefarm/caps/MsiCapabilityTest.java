package io.pciefarm.caps;

import static io.pciefarm.caps.Probe.assertHex;
import static io.pciefarm.caps.Probe.record;
import static io.pciefarm.caps.Probe.rwBits;
import static io.pciefarm.caps.Probe.space;
import static io.pciefarm.caps.Probe.stickyBits;
import static io.pciefarm.caps.Probe.w1cBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pciefarm.config.ConfigLayout;
import io.pciefarm.config.ConfigSpace;
import io.pciefarm.config.HookedRegister;
import io.pciefarm.config.Register;
import io.pciefarm.spec.Msi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MsiCapabilityTest {
  private static final int BASE = 0x40;

  @Test
  void address32WithoutMasking() {
    MsiCapability msi = MsiCapability.builder().vectors(4).address64(false).build();
    assertEquals(10, msi.length());
    ConfigLayout layout = Probe.layout(msi, PowerManagementCapability.builder().build());
    ConfigSpace s = new ConfigSpace(layout);
    assertHex(0x05, s.read(BASE, 1), "ID");
    assertHex(0x4C, s.read(BASE + 1, 1), "next capability follows at the next dword");
    assertHex(0x0004, s.read(BASE + 2, 2), "control: MMC 010b (4 vectors)");
    assertHex(0x0071, rwBits(s, BASE + 2, 2), "control writable bits");
    assertHex(0xFFFFFFFC, rwBits(s, BASE + 4, 4), "address writable bits");
    assertHex(0xFFFF, rwBits(s, BASE + 8, 2), "data writable bits");
    assertHex(0, rwBits(s, BASE + 0xA, 2), "bytes after the structure");
  }

  @Test
  void address64WithoutMasking() {
    MsiCapability msi = MsiCapability.builder().build();
    assertEquals(14, msi.length());
    ConfigSpace s = space(msi);
    assertHex(0x0080, s.read(BASE + 2, 2), "control: 64-bit, one vector");
    assertHex(0x0071, rwBits(s, BASE + 2, 2), "control writable bits");
    assertHex(0xFFFFFFFC, rwBits(s, BASE + 4, 4), "address writable bits");
    assertHex(0xFFFFFFFF, rwBits(s, BASE + 8, 4), "upper address writable bits");
    assertHex(0xFFFF, rwBits(s, BASE + 0xC, 2), "data writable bits");
    assertHex(0, rwBits(s, BASE + 0xE, 2), "extended message data");
  }

  @Test
  void address32WithMasking() {
    MsiCapability msi = MsiCapability.builder().vectors(8).address64(false).perVectorMask(true)
        .build();
    assertEquals(20, msi.length());
    ConfigSpace s = space(msi);
    assertHex(0x0106, s.read(BASE + 2, 2), "control: PVM, MMC 011b");
    assertHex(0xFFFF, rwBits(s, BASE + 8, 2), "data writable bits");
    assertHex(0x000000FF, rwBits(s, BASE + 0xC, 4), "mask bits for 8 vectors");
    assertHex(0, rwBits(s, BASE + 0x10, 4), "pending bits are read-only");
  }

  @Test
  void address64WithMaskingAndAllVectors() {
    MsiCapability msi = MsiCapability.builder().vectors(32).perVectorMask(true).build();
    assertEquals(24, msi.length());
    ConfigSpace s = space(msi);
    assertHex(0x018A, s.read(BASE + 2, 2), "control: PVM, 64-bit, MMC 101b");
    assertHex(0x0071, rwBits(s, BASE + 2, 2), "control writable bits");
    assertHex(0xFFFFFFFF, rwBits(s, BASE + 8, 4), "upper address writable bits");
    assertHex(0xFFFF, rwBits(s, BASE + 0xC, 2), "data writable bits");
    assertHex(0xFFFFFFFF, rwBits(s, BASE + 0x10, 4), "mask bits for 32 vectors");
    assertHex(0, rwBits(s, BASE + 0x14, 4), "pending bits are read-only");
    s.hardwareUpdate(BASE + 0x14, 4, 0, 0x5);
    s.write(BASE + 0x14, 4, -1);
    assertHex(0x5, s.read(BASE + 0x14, 4), "pending bits the function set");
  }

  @Test
  void nothingIsStickyOrWriteOneToClear() {
    ConfigSpace s = space(MsiCapability.builder().vectors(2).perVectorMask(true).build());
    for (int off = BASE; off < BASE + 24; off += 4) {
      assertHex(0, stickyBits(s, off, 4), "sticky bits at 0x" + Integer.toHexString(off));
      assertHex(0, w1cBits(s, off, 4), "RW1C bits at 0x" + Integer.toHexString(off));
    }
    s.hardwareUpdate(BASE + 0x14, 4, 0, 1);
    s.write(BASE + 0x14, 4, 1);
    assertHex(1, s.read(BASE + 0x14, 4), "pending bit does not clear on 1");
  }

  @Test
  void controlWritesReachTheListener() {
    ConfigSpace s = space(MsiCapability.builder().vectors(4).build());
    Probe.Recorder r = record(s);
    s.write(BASE + 2, 2, Msi.CONTROL_ENABLE | (2 << Msi.CONTROL_MME_SHIFT));
    Probe.Call c = r.only();
    assertEquals(new HookedRegister(Register.MSI_CONTROL, BASE + 2, 2), c.register());
    assertHex(0x0084, c.oldValue(), "old");
    assertHex(0x00A5, c.newValue(), "new");
    assertHex(0x0021, c.written(), "written");
  }

  @Test
  void addressWritesDoNotReachTheListener() {
    ConfigSpace s = space(MsiCapability.builder().build());
    Probe.Recorder r = record(s);
    s.write(BASE + 4, 4, 0xFEE00000);
    assertEquals(0, r.calls.size());
    assertHex(0xFEE00000, s.read(BASE + 4, 4), "address");
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 3, 33, 64, -1})
  void refusesVectorCountsThatAreNotPowersOfTwoUpTo32(int n) {
    assertThrows(IllegalArgumentException.class, () -> MsiCapability.builder().vectors(n));
  }
}
