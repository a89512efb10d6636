package io.pciefarm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pciefarm.spec.ExtendedCapabilities;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.PowerManagement;
import org.junit.jupiter.api.Test;

/** The copy-on-write footprint ({@link ConfigSpace#privateChunks}) and per-instance straps. */
class CopyOnWriteTest {
  static final ConfigLayout LAYOUT = TestLayouts.endpoint();
  static final int PMCSR = TestLayouts.PM + PowerManagement.PMCSR;
  static final int UNCOR_STATUS = TestLayouts.AER + ExtendedCapabilities.AER_UNCOR_STATUS;
  static final int UNCOR_MASK = TestLayouts.AER + ExtendedCapabilities.AER_UNCOR_MASK;
  static final int COR_MASK = TestLayouts.AER + ExtendedCapabilities.AER_COR_MASK;
  static final int SERIAL_LO = TestLayouts.DSN + ExtendedCapabilities.DSN_SERIAL_LO;
  static final int SERIAL_HI = TestLayouts.DSN + ExtendedCapabilities.DSN_SERIAL_HI;
  static final int LINK_CAP = TestLayouts.EXP + PciExpress.LINK_CAPABILITIES;

  final ConfigSpace space = new ConfigSpace(LAYOUT);

  /**
   * A fresh instance of the shared layout reads exactly what a newly built copy of the same
   * model declares: no instance's writes or straps leaked into the shared defaults.
   */
  static void assertPristine() {
    ConfigLayout reference = TestLayouts.endpoint();
    ConfigSpace fresh = new ConfigSpace(LAYOUT);
    assertEquals(0, fresh.privateChunks());
    for (int i = 0; i < reference.size() / 4; i++) {
      String where = "dword 0x" + Integer.toHexString(i * 4);
      assertEquals(reference.defaultDword(i), fresh.readDword(i), where);
      assertEquals(reference.defaultDword(i), LAYOUT.defaultDword(i), where);
    }
  }

  @Test
  void aNewInstanceHoldsNothingPrivately() {
    assertEquals(0, space.privateChunks());
    assertEquals(0x10D38086, space.read(0, 4));
  }

  @Test
  void theFirstWriteToAChunkCopiesThatChunkOnly() {
    space.write(Header.COMMAND, 2, Header.COMMAND_MEMORY);
    assertEquals(1, space.privateChunks());
    space.write(Header.CACHE_LINE_SIZE, 1, 0x10);
    space.write(TestLayouts.EXP + PciExpress.DEVICE_CONTROL, 2, 0x2000);
    assertEquals(1, space.privateChunks(), "the header and the 0x40..0xFF capabilities share one");
    space.write(UNCOR_MASK, 4, 0x10);
    assertEquals(2, space.privateChunks());
    space.write(COR_MASK, 4, 0);
    assertEquals(2, space.privateChunks());
    assertEquals(Header.COMMAND_MEMORY, space.read(Header.COMMAND, 2));
    assertEquals(0x10, space.read(UNCOR_MASK, 4));
    assertPristine();
  }

  @Test
  void writesThatCannotChangeAnythingDoNotCopy() {
    // Read-only registers, whole and in part, at every width.
    space.write(0, 4, 0xFFFFFFFF);
    space.write(Header.DEVICE_ID, 2, 0);
    space.write(Header.REVISION_ID, 1, 0xFF);
    space.write(Header.INTERRUPT_PIN, 1, 0xFF);
    space.write(LINK_CAP, 4, 0);
    space.write(TestLayouts.AER, 4, 0);
    space.write(SERIAL_LO, 4, -1);
    space.write(0x800, 4, -1);
    // Zeros written to write-one-to-clear bits.
    space.write(Header.STATUS, 2, 0);
    space.write(UNCOR_STATUS, 4, 0);
    // The low dword of a 16 GiB BAR has no address bit, its flags are read-only.
    space.write(0x10, 4, -1);
    assertEquals(0, space.privateChunks());
  }

  @Test
  void resetReturnsToTheSharedImageWhenNoStickyBitDiffers() {
    space.write(Header.COMMAND, 2, 0x0006);
    space.write(UNCOR_MASK, 4, 0);
    space.write(COR_MASK, 4, 0);
    assertEquals(2, space.privateChunks());
    space.reset(false);
    assertEquals(0, space.privateChunks());
    assertEquals(0, space.read(Header.COMMAND, 2));
    space.write(Header.COMMAND, 2, 0x0006);
    space.write(COR_MASK, 4, 0);
    // Only non-sticky bits changed: a warm reset shares everything again.
    space.reset(true);
    assertEquals(0, space.privateChunks());
    // Sticky bits written back to their defaults count as not differing.
    space.write(PMCSR, 2, PowerManagement.PMCSR_PME_ENABLE);
    space.write(PMCSR, 2, 0);
    space.reset(true);
    assertEquals(0, space.privateChunks());
  }

  @Test
  void aWarmResetKeepsOnlyTheChunksWhoseStickyBitsDiffer() {
    space.write(PMCSR, 2, PowerManagement.PMCSR_PME_ENABLE);
    space.reset(true);
    assertEquals(1, space.privateChunks());
    assertEquals(PowerManagement.PMCSR_PME_ENABLE | PowerManagement.PMCSR_NO_SOFT_RESET,
        space.read(PMCSR, 2));
    space.hardwareUpdate(UNCOR_STATUS, 4, 0, 1 << 12);
    space.write(Header.COMMAND, 2, 0x0006);
    space.reset(true);
    assertEquals(2, space.privateChunks());
    assertEquals(1 << 12, space.read(UNCOR_STATUS, 4));
    assertEquals(0, space.read(Header.COMMAND, 2));
    space.write(UNCOR_STATUS, 4, 1 << 12);
    space.reset(true);
    assertEquals(1, space.privateChunks());
    space.reset(false);
    assertEquals(0, space.privateChunks());
    assertEquals(PowerManagement.PMCSR_NO_SOFT_RESET, space.read(PMCSR, 2));
    assertPristine();
  }

  @Test
  void writesAfterAWarmResetStillCopyBeforeTheyLand() {
    space.write(PMCSR, 2, PowerManagement.PMCSR_PME_ENABLE);
    space.reset(true);
    ConfigSpace other = new ConfigSpace(LAYOUT);
    other.write(PMCSR, 2, PowerManagement.PMCSR_PME_ENABLE);
    other.reset(true);
    space.write(Header.COMMAND, 2, 0x0002);
    space.write(UNCOR_MASK, 4, 0x20);
    assertEquals(0, other.read(Header.COMMAND, 2));
    assertEquals(0, other.read(UNCOR_MASK, 4));
    assertEquals(2, space.privateChunks());
    assertEquals(1, other.privateChunks());
    assertPristine();
  }

  @Test
  void strapsArePartOfTheResetImageAndSurviveBothResets() {
    space.strap(SERIAL_LO, 4, 0xDEADBEEF);
    space.strap(SERIAL_HI, 4, 0x00C0FFEE);
    space.strap(LINK_CAP + 3, 1, 7);
    assertEquals(0xDEADBEEF, space.read(SERIAL_LO, 4));
    assertEquals(0x00C0FFEE, space.read(SERIAL_HI, 4));
    assertEquals(0x07400C41, space.read(LINK_CAP, 4));
    // A strapped instance is still idle: its image is private, its live state is that image.
    assertEquals(0, space.privateChunks());
    space.write(SERIAL_LO, 4, 0);
    space.write(COR_MASK, 4, 0x10);
    space.write(Header.COMMAND, 2, 6);
    assertEquals(2, space.privateChunks());
    for (boolean warm : new boolean[] {true, false, true}) {
      space.hardwareUpdate(SERIAL_HI, 4, -1, 0);
      space.reset(warm);
      assertEquals(0xDEADBEEF, space.read(SERIAL_LO, 4));
      assertEquals(0x00C0FFEE, space.read(SERIAL_HI, 4));
      assertEquals(0x07400C41, space.read(LINK_CAP, 4));
      assertEquals(0, space.read(Header.COMMAND, 2));
      assertEquals(0, space.privateChunks());
    }
    assertPristine();
  }

  @Test
  void strapsDoNotLeakIntoOtherInstances() {
    ConfigSpace a = new ConfigSpace(LAYOUT);
    ConfigSpace b = new ConfigSpace(LAYOUT);
    a.strap(SERIAL_LO, 4, 0x11111111);
    b.strap(SERIAL_LO, 4, 0x22222222);
    a.strap(LINK_CAP + 3, 1, 1);
    b.strap(LINK_CAP + 3, 1, 2);
    assertEquals(0x11111111, a.read(SERIAL_LO, 4));
    assertEquals(0x22222222, b.read(SERIAL_LO, 4));
    assertEquals(1, a.read(LINK_CAP + 3, 1));
    assertEquals(2, b.read(LINK_CAP + 3, 1));
    a.reset(false);
    b.reset(false);
    assertEquals(0x11111111, a.read(SERIAL_LO, 4));
    assertEquals(0x22222222, b.read(SERIAL_LO, 4));
    assertPristine();
  }

  @Test
  void aStrapAfterTheFirstWriteDoesNotLeakIntoTheLayout() {
    // Firmware may strap a serial number after the header was already written.
    space.write(Header.COMMAND, 2, 0x0006);
    space.strap(SERIAL_LO, 4, 0xCAFEBABE);
    assertEquals(0xCAFEBABE, space.read(SERIAL_LO, 4));
    assertEquals(0, LAYOUT.defaultValue(SERIAL_LO, 4));
    assertPristine();
    space.reset(false);
    assertEquals(0xCAFEBABE, space.read(SERIAL_LO, 4));
    assertEquals(0, space.read(Header.COMMAND, 2));
    assertEquals(0, space.privateChunks());
    assertPristine();
  }

  @Test
  void aSecondStrapAfterAWriteDoesNotLeakIntoTheLayout() {
    space.strap(LINK_CAP + 3, 1, 3);
    space.write(Header.COMMAND, 2, 0x0006);
    space.strap(SERIAL_HI, 4, 0x12345678);
    space.strap(LINK_CAP + 3, 1, 4);
    assertEquals(0x12345678, space.read(SERIAL_HI, 4));
    assertEquals(4, space.read(LINK_CAP + 3, 1));
    assertEquals(0x0006, space.read(Header.COMMAND, 2));
    assertPristine();
    space.reset(true);
    assertEquals(0x12345678, space.read(SERIAL_HI, 4));
    assertEquals(4, space.read(LINK_CAP + 3, 1));
    assertEquals(0, space.read(Header.COMMAND, 2));
    assertPristine();
  }

  @Test
  void aStrapOverAWrittenRegisterReplacesItsLiveValue() {
    space.write(UNCOR_MASK, 4, 0x10);
    space.strap(UNCOR_MASK, 4, 0x20);
    assertEquals(0x20, space.read(UNCOR_MASK, 4));
    space.write(UNCOR_MASK, 4, 0x1000);
    assertEquals(0x1000, space.read(UNCOR_MASK, 4));
    // UNCOR_MASK is sticky: a warm reset keeps the written value, a cold one the strap.
    space.reset(true);
    assertEquals(0x1000, space.read(UNCOR_MASK, 4));
    space.reset(false);
    assertEquals(0x20, space.read(UNCOR_MASK, 4));
    assertPristine();
  }

  @Test
  void strapsInterleavedWithWritesAndResetsAgreeWithTheByteModel() {
    java.util.SplittableRandom rnd = new java.util.SplittableRandom(42);
    for (int round = 0; round < 200; round++) {
      ConfigSpace s = new ConfigSpace(LAYOUT);
      ByteModel model = new ByteModel(LAYOUT);
      for (int step = 0; step < 60; step++) {
        int width = new int[] {1, 2, 4}[rnd.nextInt(3)];
        int offset = rnd.nextInt(0x400 / width) * width;
        int value = rnd.nextInt();
        switch (rnd.nextInt(5)) {
          case 0 -> {
            s.strap(offset, width, value);
            model.strap(offset, width, value);
          }
          case 1 -> {
            boolean warm = rnd.nextBoolean();
            s.reset(warm);
            model.reset(warm);
          }
          case 2 -> {
            int clear = rnd.nextInt();
            s.hardwareUpdate(offset, width, clear, value);
            model.hardwareUpdate(offset, width, clear, value);
          }
          default -> {
            s.write(offset, width, value);
            model.write(offset, width, value);
          }
        }
      }
      for (int off = 0; off < LAYOUT.size(); off += 4) {
        assertEquals(model.read(off, 4), s.read(off, 4),
            "round " + round + " dword 0x" + Integer.toHexString(off));
      }
    }
    assertPristine();
  }
}
