package io.pciefarm.caps;

import static io.pciefarm.caps.Probe.afterWritingZeroToSetBits;
import static io.pciefarm.caps.Probe.assertHex;
import static io.pciefarm.caps.Probe.rwBits;
import static io.pciefarm.caps.Probe.space;
import static io.pciefarm.caps.Probe.stickyBits;
import static io.pciefarm.caps.Probe.w1cBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.config.ConfigSpace;
import io.pciefarm.spec.PortType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AerCapabilityTest {
  private static final int BASE = 0x100;
  private static final int UNCOR_DEFINED = 0x003FF030;
  private static final int COR_DEFINED = 0x0000F1C1;

  @ParameterizedTest
  @EnumSource(PortType.class)
  void errorRegistersOfEveryPortType(PortType type) {
    AerCapability aer = AerCapability.forPortType(type);
    assertTrue(aer.extended());
    ConfigSpace s = space(aer);
    assertHex(0x00020001, s.read(BASE, 4), "header: AER version 2, end of list");

    int uncorStatus = BASE + 0x04;
    assertHex(0, s.read(uncorStatus, 4), "uncorrectable status reset");
    assertHex(0, rwBits(s, uncorStatus, 4), "uncorrectable status writable bits");
    assertHex(UNCOR_DEFINED, w1cBits(s, uncorStatus, 4), "uncorrectable status RW1C bits");
    assertHex(UNCOR_DEFINED, stickyBits(s, uncorStatus, 4), "uncorrectable status sticky");
    assertHex(UNCOR_DEFINED, afterWritingZeroToSetBits(s, uncorStatus, 4, UNCOR_DEFINED),
        "uncorrectable status after writing 0");

    int uncorMask = BASE + 0x08;
    assertHex(0, s.read(uncorMask, 4), "uncorrectable mask reset");
    assertHex(UNCOR_DEFINED, rwBits(s, uncorMask, 4), "uncorrectable mask writable bits");
    assertHex(UNCOR_DEFINED, stickyBits(s, uncorMask, 4), "uncorrectable mask sticky bits");

    int severity = BASE + 0x0C;
    assertHex(0x00062030, s.read(severity, 4), "severity reset: DLP, SDES, FCP, RO, MTLP");
    assertHex(UNCOR_DEFINED, rwBits(s, severity, 4), "severity writable bits");
    assertHex(UNCOR_DEFINED, stickyBits(s, severity, 4), "severity sticky bits");

    int corStatus = BASE + 0x10;
    assertHex(COR_DEFINED, w1cBits(s, corStatus, 4), "correctable status RW1C bits");
    assertHex(COR_DEFINED, stickyBits(s, corStatus, 4), "correctable status sticky bits");
    assertHex(0, rwBits(s, corStatus, 4), "correctable status writable bits");

    int corMask = BASE + 0x14;
    assertHex(0x0000E000, s.read(corMask, 4), "correctable mask reset: ANFE, CIE, HLOE masked");
    assertHex(COR_DEFINED, rwBits(s, corMask, 4), "correctable mask writable bits");
    assertHex(COR_DEFINED, stickyBits(s, corMask, 4), "correctable mask sticky bits");

    int control = BASE + 0x18;
    assertHex(0x000000A0, s.read(control, 4), "ECRC generation and check capable");
    assertHex(0x00000140, rwBits(s, control, 4), "ECRC enables writable");
    assertHex(0x0000015F, stickyBits(s, control, 4), "enables RWS, first error pointer ROS");

    for (int i = 0; i < 4; i++) {
      int log = BASE + 0x1C + 4 * i;
      assertHex(0, rwBits(s, log, 4), "header log writable bits");
      assertHex(0xFFFFFFFF, stickyBits(s, log, 4), "header log is ROS");
    }

    boolean root = type == PortType.ROOT_PORT || type == PortType.RC_EVENT_COLLECTOR;
    assertEquals(root, aer.hasRootRegisters());
    assertEquals(root ? 0x48 : 0x2C, aer.length());
    int rootCommand = BASE + 0x2C;
    int rootStatus = BASE + 0x30;
    int source = BASE + 0x34;
    assertHex(root ? 0x7 : 0, rwBits(s, rootCommand, 4), "root error command writable bits");
    assertHex(0, stickyBits(s, rootCommand, 4), "root error command is not sticky");
    assertHex(root ? 0x7F : 0, w1cBits(s, rootStatus, 4), "root error status RW1C bits");
    assertHex(root ? 0x7F : 0, stickyBits(s, rootStatus, 4), "root error status sticky bits");
    assertHex(0, rwBits(s, source, 4), "error source writable bits");
    assertHex(root ? -1 : 0, stickyBits(s, source, 4), "error source is ROS");
    for (int off = 0x38; off < 0x48; off += 4) {
      assertHex(0, s.read(BASE + off, 4), "TLP prefix log");
      assertHex(0, rwBits(s, BASE + off, 4), "TLP prefix log writable bits");
    }
  }

  @Test
  void errorStateSurvivesAWarmResetOnly() {
    ConfigSpace s = space(AerCapability.forPortType(PortType.ROOT_PORT));
    s.hardwareUpdate(BASE + 0x04, 4, 0, 1 << 14);
    s.write(BASE + 0x08, 4, 1 << 20);
    s.hardwareUpdate(BASE + 0x1C, 4, 0, 0x4A000001);
    s.write(BASE + 0x2C, 4, 0x7);
    s.reset(true);
    assertHex(1 << 14, s.read(BASE + 0x04, 4), "status kept");
    assertHex(1 << 20, s.read(BASE + 0x08, 4), "mask kept");
    assertHex(0x4A000001, s.read(BASE + 0x1C, 4), "header log kept");
    assertHex(0, s.read(BASE + 0x2C, 4), "root error command reset");
    s.reset(false);
    assertHex(0, s.read(BASE + 0x04, 4), "status cleared by a cold reset");
    assertHex(0, s.read(BASE + 0x1C, 4), "header log cleared by a cold reset");
  }

  @Test
  void rootErrorStatusKeepsItsMessageNumber() {
    ConfigSpace s = space(AerCapability.forPortType(PortType.ROOT_PORT));
    s.hardwareUpdate(BASE + 0x30, 4, 0, 0x0800007F);
    s.write(BASE + 0x30, 4, 0x00000005);
    assertHex(0x0800007A, s.read(BASE + 0x30, 4), "bits 0 and 2 cleared");
    s.write(BASE + 0x30, 4, -1);
    assertHex(0x08000000, s.read(BASE + 0x30, 4), "interrupt message number is RO");
  }

  @Test
  void withoutEcrcTheEnablesReadZero() {
    AerCapability aer = AerCapability.forPortType(PortType.ENDPOINT).withEcrc(false, false);
    ConfigSpace s = space(aer);
    assertHex(0, s.read(BASE + 0x18, 4), "no ECRC capability");
    assertHex(0, rwBits(s, BASE + 0x18, 4), "no writable enables");
    assertHex(0x1F, stickyBits(s, BASE + 0x18, 4), "first error pointer stays ROS");
    ConfigSpace gen = space(AerCapability.forPortType(PortType.ENDPOINT).withEcrc(true, false));
    assertHex(0x20, gen.read(BASE + 0x18, 4), "generation capable only");
    assertHex(0x40, rwBits(gen, BASE + 0x18, 4), "generation enable only");
  }

  @Test
  void nextCapabilityFollowsTheStructure() {
    ConfigSpace endpoint = space(AerCapability.forPortType(PortType.ENDPOINT),
        DsnCapability.of(1));
    assertHex(0x12C, endpoint.read(BASE, 4) >>> 20, "DSN after a 2Ch-byte AER");
    ConfigSpace root = space(AerCapability.forPortType(PortType.ROOT_PORT), DsnCapability.of(1));
    assertHex(0x148, root.read(BASE, 4) >>> 20, "DSN after a 48h-byte AER");
  }

  @Test
  void requiresAPortType() {
    assertThrows(IllegalArgumentException.class, () -> AerCapability.forPortType(null));
  }
}
