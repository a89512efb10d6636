package io.pciefarm.caps;

import static io.pciefarm.caps.Probe.assertHex;
import static io.pciefarm.caps.Probe.record;
import static io.pciefarm.caps.Probe.rwBits;
import static io.pciefarm.caps.Probe.space;
import static io.pciefarm.caps.Probe.stickyBits;
import static io.pciefarm.caps.Probe.w1cBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pciefarm.config.Bar;
import io.pciefarm.config.ConfigSpace;
import io.pciefarm.config.HookedRegister;
import io.pciefarm.config.Register;
import io.pciefarm.spec.ExtendedCapabilities;
import org.junit.jupiter.api.Test;

class SrIovCapabilityTest {
  private static final int BASE = 0x100;

  private static SrIovCapability.Builder typical() {
    return SrIovCapability.builder().totalVfs(8).vfOffset(0x80).vfStride(2)
        .vfDeviceId(0x10ED).vfBar(0, Bar.mem64(0x4000)).vfBar(3, Bar.mem32(0x1000));
  }

  @Test
  void registers() {
    SrIovCapability cap = typical().build();
    assertEquals(0x40, cap.length());
    ConfigSpace s = space(cap);
    assertHex(0x00010010, s.read(BASE, 4), "header: SR-IOV version 1, end of list");
    assertHex(0, s.read(BASE + 0x04, 4), "capabilities: no VF migration");
    assertHex(0, rwBits(s, BASE + 0x04, 4), "capabilities writable bits");
    assertHex(0x0019, rwBits(s, BASE + 0x08, 2), "control: VFE, MSE, ARI hierarchy");
    assertHex(0, rwBits(s, BASE + 0x0A, 2), "status writable bits");
    assertHex(0, w1cBits(s, BASE + 0x08, 4), "no RW1C (no VF migration)");
    assertHex(0x00080008, s.read(BASE + 0x0C, 4), "InitialVFs = TotalVFs = 8");
    assertHex(0, rwBits(s, BASE + 0x0C, 4), "InitialVFs/TotalVFs writable bits");
    assertHex(0xFFFF, rwBits(s, BASE + 0x10, 2), "NumVFs writable bits");
    assertHex(0, rwBits(s, BASE + 0x12, 2), "function dependency link writable bits");
    assertHex(0x00020080, s.read(BASE + 0x14, 4), "offset 80h, stride 2");
    assertHex(0, rwBits(s, BASE + 0x14, 4), "offset/stride writable bits");
    assertHex(0x10ED0000, s.read(BASE + 0x18, 4), "VF device ID");
    assertHex(0, rwBits(s, BASE + 0x18, 4), "VF device ID writable bits");
    assertHex(0x00000553, s.read(BASE + 0x1C, 4), "supported page sizes");
    assertHex(0, rwBits(s, BASE + 0x1C, 4), "supported page sizes writable bits");
    assertHex(0x00000001, s.read(BASE + 0x20, 4), "system page size: 4 KiB");
    assertHex(0x00000553, rwBits(s, BASE + 0x20, 4), "system page size writable bits");
    assertHex(0x00000004, s.read(BASE + 0x24, 4), "VF BAR0: 64-bit memory");
    assertHex(0xFFFFC000, rwBits(s, BASE + 0x24, 4), "VF BAR0 sizing mask");
    assertHex(0xFFFFFFFF, rwBits(s, BASE + 0x28, 4), "VF BAR1: upper half of BAR0");
    assertHex(0, rwBits(s, BASE + 0x2C, 4), "VF BAR2 unused");
    assertHex(0xFFFFF000, rwBits(s, BASE + 0x30, 4), "VF BAR3 sizing mask");
    assertHex(0, rwBits(s, BASE + 0x34, 4), "VF BAR4 unused");
    assertHex(0, rwBits(s, BASE + 0x38, 4), "VF BAR5 unused");
    assertHex(0, rwBits(s, BASE + 0x3C, 4), "migration state array offset");
    for (int off = 0; off < 0x40; off += 4) {
      assertHex(0, stickyBits(s, BASE + off, 4), "sticky bits at +" + off);
    }
  }

  @Test
  void vfBarsSizeLikeBars() {
    ConfigSpace s = space(typical().build());
    s.write(BASE + 0x24, 4, -1);
    s.write(BASE + 0x28, 4, -1);
    long readBack = (s.read(BASE + 0x24, 4) & 0xFFFFFFFFL)
        | ((long) s.read(BASE + 0x28, 4) << 32);
    assertEquals(0x4000, Bar.decodeSize(readBack, Bar.Kind.MEM64));
    s.write(BASE + 0x30, 4, -1);
    assertEquals(0x1000, Bar.decodeSize(s.read(BASE + 0x30, 4) & 0xFFFFFFFFL, Bar.Kind.MEM32));
  }

  @Test
  void controlWritesReachTheListener() {
    ConfigSpace s = space(typical().build());
    Probe.Recorder r = record(s);
    s.write(BASE + 0x10, 2, 4);
    assertEquals(0, r.calls.size(), "NumVFs is not hooked");
    s.write(BASE + 0x08, 2, ExtendedCapabilities.SRIOV_CTRL_VFE
        | ExtendedCapabilities.SRIOV_CTRL_MSE | ExtendedCapabilities.SRIOV_CTRL_VFM);
    Probe.Call c = r.only();
    assertEquals(new HookedRegister(Register.SRIOV_CONTROL, BASE + 0x08, 2), c.register());
    assertHex(0, c.oldValue(), "old");
    assertHex(0x0009, c.newValue(), "new: VF Migration Enable is not stored");
    assertHex(0x000B, c.written(), "written");
  }

  @Test
  void otherPfsCannotSetAriCapableHierarchy() {
    ConfigSpace s = space(typical().lowestNumberedPf(false).functionDependencyLink(1).build());
    assertHex(0x0009, rwBits(s, BASE + 0x08, 2), "control: VFE and MSE only");
    assertHex(0x01, s.read(BASE + 0x12, 1), "function dependency link");
  }

  @Test
  void refusesInconsistentModels() {
    assertThrows(IllegalStateException.class,
        () -> SrIovCapability.builder().vfDeviceId(1).build(), "TotalVFs missing");
    assertThrows(IllegalStateException.class,
        () -> SrIovCapability.builder().totalVfs(2).build(), "VF device ID missing");
    assertThrows(IllegalStateException.class,
        () -> typical().initialVfs(4).build(), "InitialVFs must equal TotalVFs");
    assertEquals(8, typical().initialVfs(8).build().initialVfs());
    assertThrows(IllegalStateException.class, () -> typical().vfOffset(0).build());
    assertThrows(IllegalStateException.class, () -> typical().vfStride(0).build());
    SrIovCapability.builder().totalVfs(1).vfDeviceId(1).vfStride(0).build();
    assertThrows(IllegalArgumentException.class, () -> typical().totalVfs(0x10000));
    assertThrows(IllegalArgumentException.class, () -> typical().supportedPageSizes(0x2));
    assertThrows(IllegalArgumentException.class, () -> typical().vfBar(1, Bar.io(16)));
    assertThrows(IllegalArgumentException.class, () -> typical().vfBar(5, Bar.mem64(0x1000)));
    assertThrows(IllegalArgumentException.class, () -> typical().vfBar(6, Bar.mem32(0x1000)));
    assertThrows(IllegalStateException.class, () -> typical().vfBar(1, Bar.mem32(0x1000)),
        "BAR1 is the upper half of the 64-bit BAR0");
    assertThrows(IllegalStateException.class, () -> typical().vfBar(2, Bar.mem64(0x1000)),
        "BAR3 is taken");
    assertThrows(IllegalArgumentException.class, () -> typical().functionDependencyLink(256));
  }
}
