package io.pciefarm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pciefarm.spec.Header;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.PowerManagement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every bit behaviour, seen only through {@link ConfigSpace#read} and {@link ConfigSpace#write}. */
class RegisterBehaviourTest {
  static final int RW = 0x40;
  static final int RO = 0x44;
  static final int W1C = 0x48;
  static final int STICKY = 0x4C;
  static final int W1CS = 0x50;
  static final int TRIGGER = 0x54;
  static final int RESERVED = 0x58;
  static final int PARTLY_RESERVED = 0x5C;
  static final int ROS = 0x60;

  static ConfigLayout layout() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    b.value(RW, 4, 0x12345678).rw(RW, 4, 0xFFFFFFFF);
    b.value(RO, 4, 0xCAFEF00D);
    b.value(W1C, 4, 0x0F000000).rw1c(W1C, 4, 0x00FF00FF);
    // RWS low half (default 0x00A5), plain RW high half.
    b.value(STICKY, 4, 0x000000A5).rw(STICKY, 4, 0xFFFFFFFF).sticky(STICKY, 2, 0xFFFF);
    // RW1CS in bits 3:0, plain RW1C in bits 7:4, RW in bits 15:8.
    b.rw1c(W1CS, 1, 0xFF).sticky(W1CS, 1, 0x0F).rw(W1CS + 1, 1, 0xFF);
    // A control word: bits 7:0 RW, bit 15 a write-one trigger; hooked.
    b.value(TRIGGER, 2, 0x0011).rw(TRIGGER, 2, 0x00FF).trigger(TRIGGER, 2, 0x8000);
    b.hook(Register.DEVICE_CONTROL, TRIGGER, 2);
    b.rw(PARTLY_RESERVED, 4, 0x00000F0F);
    // ROS: read-only to software, set by hardware, kept by a warm reset.
    b.value(ROS, 4, 0x00000100).sticky(ROS, 4, 0x0000FFFF);
    return b.build();
  }

  final ConfigSpace space = new ConfigSpace(layout());

  @Test
  void resetValuesReadBackAtEveryWidth() {
    assertEquals(0x12345678, space.read(RW, 4));
    assertEquals(0x5678, space.read(RW, 2));
    assertEquals(0x1234, space.read(RW + 2, 2));
    assertEquals(0x78, space.read(RW, 1));
    assertEquals(0x56, space.read(RW + 1, 1));
    assertEquals(0x34, space.read(RW + 2, 1));
    assertEquals(0x12, space.read(RW + 3, 1));
    assertEquals(0x12345678, space.readDword(RW >>> 2));
    assertEquals(0xCAFEF00D, space.read(RO, 4));
    assertEquals(0xCA, space.read(RO + 3, 1));
  }

  @Test
  void readWriteBitsStoreExactlyWhatIsWritten() {
    space.write(RW, 4, 0xDEADBEEF);
    assertEquals(0xDEADBEEF, space.read(RW, 4));
    space.write(RW, 4, 0);
    assertEquals(0, space.read(RW, 4));
    space.write(RW, 4, 0xFFFFFFFF);
    assertEquals(0xFFFFFFFF, space.read(RW, 4));
  }

  @Test
  void readOnlyBitsIgnoreWrites() {
    space.write(RO, 4, 0);
    assertEquals(0xCAFEF00D, space.read(RO, 4));
    space.write(RO, 4, 0xFFFFFFFF);
    assertEquals(0xCAFEF00D, space.read(RO, 4));
    space.write(RO + 2, 2, 0x1234);
    space.write(RO + 1, 1, 0x55);
    assertEquals(0xCAFEF00D, space.read(RO, 4));
  }

  @Test
  void readOnlyBitsStillChangeByHardware() {
    assertEquals(0xCAFE, space.hardwareUpdate(RO + 2, 2, 0, 0));
    assertEquals(0xCAFEF00F, space.hardwareUpdate(RO, 4, 0x0000000C, 0x0000000E));
    assertEquals(0xCAFEF00F, space.read(RO, 4));
    assertEquals(0x00FE, space.hardwareUpdate(RO + 2, 2, 0xCA00, 0));
    assertEquals(0x00FEF00F, space.read(RO, 4));
    assertEquals(0xFF, space.hardwareUpdate(RO + 3, 1, 0, 0xFF));
    assertEquals(0xFFFEF00F, space.read(RO, 4));
  }

  @Test
  void hardwareUpdateIgnoresBitsOutsideItsWidth() {
    // Width 1 at byte 1: bits of clear/set above bit 7 must not reach bytes 2 and 3.
    assertEquals(0xFF, space.hardwareUpdate(RO + 1, 1, 0xFFFFFF00, 0xFFFFFFFF));
    assertEquals(0xCAFEFF0D, space.read(RO, 4));
    assertEquals(0x0000, space.hardwareUpdate(RO, 2, 0xFFFFFFFF, 0xFFFF0000));
    assertEquals(0xCAFE0000, space.read(RO, 4));
  }

  @Test
  void writeOneToClearBitsAreSetByHardwareAndClearedOnlyByOnes() {
    assertEquals(0x0F000000, space.read(W1C, 4));
    space.hardwareUpdate(W1C, 4, 0, 0x00FF00FF);
    assertEquals(0x0FFF00FF, space.read(W1C, 4));
    // Writing 0 changes nothing.
    space.write(W1C, 4, 0);
    assertEquals(0x0FFF00FF, space.read(W1C, 4));
    // Writing 1 clears exactly those bits; RO bits (0x0F000000) ignore the ones.
    space.write(W1C, 4, 0x0F010080);
    assertEquals(0x0FFE007F, space.read(W1C, 4));
    // Writing 1 to a clear RW1C bit leaves it clear.
    space.write(W1C, 4, 0x00010080);
    assertEquals(0x0FFE007F, space.read(W1C, 4));
    // Writing back what was read (a read-modify-write) clears everything that was set.
    space.write(W1C, 4, space.read(W1C, 4));
    assertEquals(0x0F000000, space.read(W1C, 4));
  }

  @Test
  void writeOneToClearWorksAtByteAndWordWidth() {
    space.hardwareUpdate(W1C, 4, 0, 0x00FF00FF);
    space.write(W1C + 2, 1, 0x0F);
    assertEquals(0x0FF000FF, space.read(W1C, 4));
    space.write(W1C, 2, 0x00F0);
    assertEquals(0x0FF0000F, space.read(W1C, 4));
    space.write(W1C + 2, 2, 0xFFFF);
    assertEquals(0x0F00000F, space.read(W1C, 4));
  }

  @Test
  void headerStatusErrorsAreWriteOneToClear() {
    ConfigSpace ep = new ConfigSpace(TestLayouts.endpoint());
    int status = Header.STATUS_CAP_LIST;
    assertEquals(status, ep.read(Header.STATUS, 2));
    ep.hardwareUpdate(Header.STATUS, 2, 0, Header.STATUS_REC_MASTER_ABORT
        | Header.STATUS_DETECTED_PARITY);
    assertEquals(status | 0xA000, ep.read(Header.STATUS, 2));
    // The capabilities-list bit is RO: writing 1 there neither clears nor sets anything.
    ep.write(Header.STATUS, 2, Header.STATUS_CAP_LIST | Header.STATUS_REC_MASTER_ABORT);
    assertEquals(status | 0x8000, ep.read(Header.STATUS, 2));
    // A Command write as a dword with 0 in the Status half clears nothing.
    ep.write(Header.COMMAND, 4, 0x00000006);
    assertEquals((status | 0x8000) << 16 | 0x0006, ep.read(Header.COMMAND, 4));
  }

  @Test
  void stickyReadWriteBitsSurviveWarmResetOnly() {
    space.write(STICKY, 4, 0xBEEF1234);
    assertEquals(0xBEEF1234, space.read(STICKY, 4));
    space.reset(true);
    // The RWS half keeps 0x1234; the RW half returns to its default 0.
    assertEquals(0x00001234, space.read(STICKY, 4));
    space.reset(false);
    assertEquals(0x000000A5, space.read(STICKY, 4));
  }

  @Test
  void stickyWriteOneToClearBitsSurviveWarmResetOnly() {
    space.hardwareUpdate(W1CS, 1, 0, 0xFF);
    space.write(W1CS + 1, 1, 0x5A);
    assertEquals(0x5AFF, space.read(W1CS, 2));
    space.reset(true);
    // RW1CS 3:0 kept; RW1C 7:4 and RW 15:8 back to 0.
    assertEquals(0x000F, space.read(W1CS, 2));
    space.write(W1CS, 1, 0x05);
    assertEquals(0x000A, space.read(W1CS, 2));
    space.reset(true);
    assertEquals(0x000A, space.read(W1CS, 2));
    space.reset(false);
    assertEquals(0x0000, space.read(W1CS, 2));
  }

  @Test
  void stickyReadOnlyBitsKeepHardwareValuesAcrossWarmReset() {
    space.hardwareUpdate(ROS, 4, 0xFFFFFFFF, 0x12345678);
    space.reset(true);
    assertEquals(0x00005678, space.read(ROS, 4));
    space.reset(false);
    assertEquals(0x00000100, space.read(ROS, 4));
  }

  @Test
  void warmResetRestoresEveryNonStickyRegister() {
    space.write(RW, 4, 1);
    space.hardwareUpdate(RO, 4, -1, 2);
    space.hardwareUpdate(W1C, 4, 0, 0x00FF00FF);
    space.write(TRIGGER, 2, 0x00AA);
    space.reset(true);
    assertEquals(0x12345678, space.read(RW, 4));
    assertEquals(0xCAFEF00D, space.read(RO, 4));
    assertEquals(0x0F000000, space.read(W1C, 4));
    assertEquals(0x0011, space.read(TRIGGER, 2));
  }

  @Test
  void pmcsrStickyBitsOnTheRealisticEndpoint() {
    ConfigSpace ep = new ConfigSpace(TestLayouts.endpoint());
    int pmcsr = TestLayouts.PM + PowerManagement.PMCSR;
    assertEquals(PowerManagement.PMCSR_NO_SOFT_RESET, ep.read(pmcsr, 2));
    ep.write(pmcsr, 2, PowerManagement.PMCSR_D3HOT | PowerManagement.PMCSR_PME_ENABLE);
    ep.hardwareUpdate(pmcsr, 2, 0, PowerManagement.PMCSR_PME_STATUS);
    assertEquals(0x810B, ep.read(pmcsr, 2));
    ep.reset(true);
    // Power state returns to D0; PME_En and PME_Status are sticky.
    assertEquals(0x8108, ep.read(pmcsr, 2));
    ep.write(pmcsr, 2, PowerManagement.PMCSR_PME_STATUS | PowerManagement.PMCSR_PME_ENABLE);
    assertEquals(0x0108, ep.read(pmcsr, 2));
    ep.reset(false);
    assertEquals(0x0008, ep.read(pmcsr, 2));
  }

  @Test
  void triggerBitsReadZeroAndReachTheListener() {
    List<int[]> calls = new ArrayList<>();
    space.listener((s, reg, oldV, newV, written) -> calls.add(new int[] {oldV, newV, written}));
    space.write(TRIGGER, 2, 0x80AA);
    assertEquals(0x00AA, space.read(TRIGGER, 2));
    assertEquals(1, calls.size());
    assertEquals(0x0011, calls.get(0)[0]);
    assertEquals(0x00AA, calls.get(0)[1]);
    assertEquals(0x80AA, calls.get(0)[2]);
    // A byte write to the trigger's byte: bit 7 of that byte is the trigger.
    space.write(TRIGGER + 1, 1, 0x80);
    assertEquals(0x00AA, space.read(TRIGGER, 2));
    assertEquals(2, calls.size());
    assertEquals(0x00AA, calls.get(1)[0]);
    assertEquals(0x00AA, calls.get(1)[1]);
    assertEquals(0x8000, calls.get(1)[2]);
    // Hardware cannot latch it either: a trigger is never stored by a write.
    space.write(TRIGGER, 4, 0xFFFFFFFF);
    assertEquals(0x000000FF, space.read(TRIGGER, 4));
  }

  @Test
  void initiateFlrReadsZeroOnTheRealisticEndpoint() {
    ConfigSpace ep = new ConfigSpace(TestLayouts.endpoint());
    int devctl = TestLayouts.EXP + PciExpress.DEVICE_CONTROL;
    List<Integer> written = new ArrayList<>();
    ep.listener((s, reg, oldV, newV, w) -> {
      if (reg.register() == Register.DEVICE_CONTROL) {
        written.add(w);
      }
    });
    ep.write(devctl, 2, 0x2810 | PciExpress.DEVCTL_BCR_FLR);
    assertEquals(0x2810, ep.read(devctl, 2));
    assertEquals(List.of(0xA810), written);
  }

  @Test
  void reservedBitsReadZero() {
    assertEquals(0, space.read(RESERVED, 4));
    space.write(RESERVED, 4, 0xFFFFFFFF);
    assertEquals(0, space.read(RESERVED, 4));
    space.write(PARTLY_RESERVED, 4, 0xFFFFFFFF);
    assertEquals(0x00000F0F, space.read(PARTLY_RESERVED, 4));
    space.write(PARTLY_RESERVED + 1, 1, 0xA5);
    assertEquals(0x0000050F, space.read(PARTLY_RESERVED, 4));
  }

  @Test
  void unusedSpaceOfAPciExpressFunctionReadsZero() {
    for (int off = 0x64; off < ConfigLayout.PCIE_SIZE; off += 4) {
      space.write(off, 4, 0xFFFFFFFF);
      assertEquals(0, space.read(off, 4), "offset 0x" + Integer.toHexString(off));
    }
  }

  @Test
  void writesTruncateValueToTheAccessWidth() {
    space.write(RW + 1, 1, 0xFFFFFF00 | 0xAB);
    assertEquals(0x1234AB78, space.read(RW, 4));
    space.write(RW, 2, 0x7777CDEF);
    assertEquals(0x1234CDEF, space.read(RW, 4));
  }
}
