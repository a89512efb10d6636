package io.pciefarm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Byte and word writes at every position of a dword change their own bytes only: neighbouring
 * RW bytes keep their values and neighbouring RW1C bits are not cleared.
 */
class PartialWriteTest {
  /** Byte 0 RW, byte 1 RW1C, byte 2 RW nibble + RO nibble, byte 3 RW1C nibble + RW nibble. */
  static final int MIXED = 0x40;
  /** Alternating RW and RW1C bits in every byte. */
  static final int STRIPED = 0x44;
  static final int RW_ALL = 0x48;

  static ConfigLayout layout() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    b.rw(MIXED, 1, 0xFF);
    b.rw1c(MIXED + 1, 1, 0xFF);
    b.value(MIXED + 2, 1, 0xA0).rw(MIXED + 2, 1, 0x0F);
    b.rw1c(MIXED + 3, 1, 0x0F).rw(MIXED + 3, 1, 0xF0);
    b.rw(STRIPED, 4, 0x55555555).rw1c(STRIPED, 4, 0xAAAAAAAA);
    b.rw(RW_ALL, 4, -1);
    return b.build();
  }

  final ConfigLayout layout = layout();
  final ConfigSpace space = new ConfigSpace(layout);

  /** Sets every RW1C bit and a known pattern in every RW bit. */
  private void fill(int offset) {
    space.hardwareUpdate(offset, 4, 0, layout.w1cmask(offset >>> 2));
    space.write(offset, 4, 0x5A5A5A5A & layout.wmask(offset >>> 2));
  }

  @Test
  void byteWritesAtEachPositionOfARwDwordKeepTheOtherBytes() {
    for (int pos = 0; pos < 4; pos++) {
      space.write(RW_ALL, 4, 0x11223344);
      space.write(RW_ALL + pos, 1, 0xEE);
      int expected = (0x11223344 & ~(0xFF << (pos * 8))) | (0xEE << (pos * 8));
      assertEquals(expected, space.read(RW_ALL, 4), "byte " + pos);
    }
  }

  @Test
  void wordWritesAtEachPositionOfARwDwordKeepTheOtherWord() {
    space.write(RW_ALL, 4, 0x11223344);
    space.write(RW_ALL, 2, 0xBEEF);
    assertEquals(0x1122BEEF, space.read(RW_ALL, 4));
    space.write(RW_ALL + 2, 2, 0xCAFE);
    assertEquals(0xCAFEBEEF, space.read(RW_ALL, 4));
  }

  @Test
  void aByteWriteOfAllOnesNextToRw1cBitsDoesNotClearThem() {
    fill(MIXED);
    // 0x5A & wmask: byte0 0x5A, byte2 0x0A, byte3 0x50; RW1C: byte1 0xFF, byte3 0x0F.
    int before = 0x5FAAFF5A;
    assertEquals(before, space.read(MIXED, 4));
    space.write(MIXED, 1, 0xFF);
    assertEquals(0x5FAAFFFF, space.read(MIXED, 4));
    space.write(MIXED + 2, 1, 0xFF);
    assertEquals(0x5FAFFFFF, space.read(MIXED, 4));
    // Byte 3's upper nibble is RW, lower RW1C: 0xF0 sets the RW bits and clears nothing.
    space.write(MIXED + 3, 1, 0xF0);
    assertEquals(0xFFAFFFFF, space.read(MIXED, 4));
    // Now clear byte 1 only.
    space.write(MIXED + 1, 1, 0xFF);
    assertEquals(0xFFAF00FF, space.read(MIXED, 4));
  }

  @Test
  void aWordWriteOverRwAndRw1cBytesClearsOnlyTheBitsItCovers() {
    fill(MIXED);
    space.write(MIXED, 2, 0x0100);
    // Byte 0 RW takes 0x00, byte 1 loses bit 0 only; bytes 2..3 untouched.
    assertEquals(0x5FAAFE00, space.read(MIXED, 4));
    space.write(MIXED + 2, 2, 0x0301);
    // Byte 2 RW nibble 0x1 (RO nibble 0xA kept); byte 3: RW nibble 0, RW1C bits 0,1 cleared.
    assertEquals(0x0CA1FE00, space.read(MIXED, 4));
  }

  @Test
  void stripedBytesAtEveryWidthAndPositionMatchTheByteModel() {
    // Every byte and word position, every value with a mix of ones and zeros.
    int[] values = {0x00, 0xFF, 0x55, 0xAA, 0x0F, 0xF0, 0x3C, 0x81};
    for (int width : new int[] {1, 2}) {
      for (int pos = 0; pos < 4; pos += width) {
        for (int v : values) {
          int value = width == 1 ? v : (v << 8) | (~v & 0xFF);
          ConfigSpace fresh = new ConfigSpace(layout);
          ByteModel model = new ByteModel(layout);
          for (int off : new int[] {MIXED, STRIPED}) {
            fresh.hardwareUpdate(off, 4, 0, layout.w1cmask(off >>> 2));
            model.hardwareUpdate(off, 4, 0, layout.w1cmask(off >>> 2));
            fresh.write(off, 4, 0x5A5A5A5A);
            model.write(off, 4, 0x5A5A5A5A);
            fresh.write(off + pos, width, value);
            model.write(off + pos, width, value);
            assertEquals(model.read(off, 4), fresh.read(off, 4), String.format(
                "dword 0x%x after write of 0x%x width %d at +%d", off, value, width, pos));
          }
        }
      }
    }
  }

  /** Random sequences of writes, hardware updates and resets against the byte model. */
  @Test
  void randomAccessesAgreeWithTheByteModel() {
    SplittableRandom rnd = new SplittableRandom(0x5EED);
    ConfigLayout endpoint = TestLayouts.endpoint();
    for (ConfigLayout l : new ConfigLayout[] {layout, endpoint, RegisterBehaviourTest.layout()}) {
      ConfigSpace s = new ConfigSpace(l);
      ByteModel model = new ByteModel(l);
      for (int step = 0; step < 200_000; step++) {
        int width = new int[] {1, 2, 4}[rnd.nextInt(3)];
        // Mostly the interesting first 0x180 bytes, sometimes anywhere.
        int limit = rnd.nextInt(8) == 0 ? l.size() : Math.min(0x180, l.size());
        int offset = rnd.nextInt(limit / width) * width;
        int value = rnd.nextInt();
        int op = rnd.nextInt(100);
        String what = String.format("step %d op %d offset 0x%x width %d value 0x%x", step, op,
            offset, width, value);
        if (op < 60) {
          s.write(offset, width, value);
          model.write(offset, width, value);
        } else if (op < 90) {
          int clear = rnd.nextInt();
          s.hardwareUpdate(offset, width, clear, value);
          model.hardwareUpdate(offset, width, clear, value);
        } else if (op < 92) {
          boolean warm = rnd.nextBoolean();
          s.reset(warm);
          model.reset(warm);
        } else {
          assertEquals(model.read(offset, width), s.read(offset, width), what);
        }
        int d = offset & ~3;
        assertEquals(model.read(d, 4), s.read(d, 4), what);
      }
      for (int off = 0; off < l.size(); off += 4) {
        assertEquals(model.read(off, 4), s.read(off, 4), "final 0x" + Integer.toHexString(off));
      }
    }
  }
}
