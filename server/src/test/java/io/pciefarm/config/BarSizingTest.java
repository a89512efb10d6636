package io.pciefarm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.config.Bar.Kind;
import io.pciefarm.spec.Type0;
import org.junit.jupiter.api.Test;

/**
 * BAR sizing as Linux's {@code __pci_read_base} does it: save, write all ones, read back,
 * restore, then decode. Every kind, every legal size, type bits read-only.
 */
class BarSizingTest {
  final ConfigSpace ep = new ConfigSpace(TestLayouts.endpoint());

  /** Writes all ones, reads back, restores; returns the read-back. */
  private static long size32(ConfigSpace s, int offset, int ones) {
    int saved = s.read(offset, 4);
    s.write(offset, 4, ones);
    long back = Integer.toUnsignedLong(s.read(offset, 4));
    s.write(offset, 4, saved);
    assertEquals(saved, s.read(offset, 4), "restored");
    return back;
  }

  private static long size64(ConfigSpace s, int offset) {
    int lo = s.read(offset, 4);
    int hi = s.read(offset + 4, 4);
    s.write(offset, 4, -1);
    s.write(offset + 4, 4, -1);
    long back = Integer.toUnsignedLong(s.read(offset, 4))
        | (Integer.toUnsignedLong(s.read(offset + 4, 4)) << 32);
    s.write(offset, 4, lo);
    s.write(offset + 4, 4, hi);
    assertEquals(lo, s.read(offset, 4));
    assertEquals(hi, s.read(offset + 4, 4));
    return back;
  }

  @Test
  void sixtyFourBitPrefetchableBarAboveFourGiB() {
    assertEquals(0x0000000C, ep.read(0x10, 4));
    assertEquals(0, ep.read(0x14, 4));
    long back = size64(ep, 0x10);
    assertEquals(0xFFFFFFFC_0000000CL, back);
    assertEquals(16L << 30, Bar.decodeSize(back, Kind.MEM64));
    // Assign an address above 4 GiB; bits below the size are not stored.
    ep.write(0x10, 4, 0x12345678);
    ep.write(0x14, 4, 0x00000037);
    assertEquals(0x0000000C, ep.read(0x10, 4));
    assertEquals(0x00000034, ep.read(0x14, 4));
  }

  @Test
  void thirtyTwoBitMemoryBar() {
    assertEquals(0, ep.read(0x18, 4));
    long back = size32(ep, 0x18, -1);
    assertEquals(0xFFF00000L, back);
    assertEquals(1L << 20, Bar.decodeSize(back, Kind.MEM32));
    ep.write(0x18, 4, 0xFE0FFFFF);
    assertEquals(0xFE000000, ep.read(0x18, 4));
  }

  @Test
  void thirtyTwoBitPrefetchableBar() {
    assertEquals(Bar.MEM_PREFETCH, ep.read(0x1C, 4));
    long back = size32(ep, 0x1C, -1);
    assertEquals(0xFFFF0008L, back);
    assertEquals(64L << 10, Bar.decodeSize(back, Kind.MEM32));
    ep.write(0x1C, 4, 0);
    assertEquals(Bar.MEM_PREFETCH, ep.read(0x1C, 4), "prefetchable flag is read-only");
  }

  @Test
  void ioBar() {
    assertEquals(Bar.IO_SPACE, ep.read(0x20, 4));
    long back = size32(ep, 0x20, -1);
    assertEquals(0x0000FF01L, back);
    assertEquals(256, Bar.decodeSize(back, Kind.IO));
    ep.write(0x20, 4, 0xFFFFE0FF);
    assertEquals(0x0000E001, ep.read(0x20, 4), "16-bit decode, bit 0 read-only 1");
  }

  @Test
  void subPageMemoryBar() {
    long back = size32(ep, 0x24, -1);
    assertEquals(0xFFFFFF00L, back);
    assertEquals(256, Bar.decodeSize(back, Kind.MEM32));
    ep.write(0x24, 4, 0xFEDCBA98);
    assertEquals(0xFEDCBA00, ep.read(0x24, 4));
  }

  @Test
  void expansionRomSizesLikeAMemoryBarAndItsEnableBitIsReadWrite() {
    int rom = Type0.ROM_ADDRESS;
    assertEquals(0, ep.read(rom, 4));
    // Linux sizes ROMs with ~ENABLE so the ROM stays disabled.
    long back = size32(ep, rom, ~ExpansionRom.ENABLE);
    assertEquals(0xFFFF0000L, back);
    assertEquals(64L << 10, Bar.decodeSize(back, Kind.MEM32));
    assertEquals(0xFFFF0001L, size32(ep, rom, -1));
    // Reserved bits 10:1 and address bits below the size read 0; enable is stored.
    ep.write(rom, 4, 0xFEEDFFFF);
    assertEquals(0xFEED0001, ep.read(rom, 4));
    ep.write(rom, 1, 0x00);
    assertEquals(0xFEED0000, ep.read(rom, 4));
    ep.write(rom, 1, ExpansionRom.ENABLE);
    assertEquals(0xFEED0001, ep.read(rom, 4));
  }

  @Test
  void typeBitsAreReadOnlyInEveryBar() {
    int[] offsets = {0x10, 0x18, 0x1C, 0x20, 0x24};
    int[] flags = {0xC, 0x0, 0x8, 0x1, 0x0};
    for (int i = 0; i < offsets.length; i++) {
      ep.write(offsets[i], 4, 0);
      assertEquals(flags[i], ep.read(offsets[i], 4) & 0xF);
      ep.write(offsets[i], 4, 0xF);
      assertEquals(flags[i], ep.read(offsets[i], 4) & 0xF);
      ep.write(offsets[i], 1, 0xFF);
      assertEquals(flags[i], ep.read(offsets[i], 4) & 0xF);
    }
  }

  @Test
  void sizingOneBarLeavesItsNeighboursAlone() {
    ep.write(0x18, 4, 0xE0000000);
    ep.write(0x1C, 4, 0xD0000000);
    ep.write(0x20, 4, 0x1000);
    ep.write(0x1C, 4, -1);
    assertEquals(0xE0000000, ep.read(0x18, 4));
    assertEquals(0x00001001, ep.read(0x20, 4));
  }

  private static ConfigSpace single(Bar bar) {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    bar.install(b, 0x10);
    return new ConfigSpace(b.build());
  }

  @Test
  void everyLegalSizeOfEveryKindDecodesToItself() {
    for (int shift = 4; shift <= 62; shift++) {
      long size = 1L << shift;
      for (boolean pref : new boolean[] {false, true}) {
        Bar bar = new Bar(Kind.MEM64, size, pref);
        ConfigSpace s = single(bar);
        assertEquals(bar.flags(), s.read(0x10, 4));
        long back = size64(s, 0x10);
        assertEquals(bar.flags(), (int) back & 0xF, "flags of " + bar);
        assertEquals(size, Bar.decodeSize(back, Kind.MEM64), bar.toString());
        assertEquals(~(size - 1) & ~0xFL | bar.flags(), back, bar.toString());
        if (shift <= 31) {
          Bar bar32 = new Bar(Kind.MEM32, size, pref);
          ConfigSpace s32 = single(bar32);
          long back32 = size32(s32, 0x10, -1);
          assertEquals(size, Bar.decodeSize(back32, Kind.MEM32), bar32.toString());
          assertEquals((0xFFFFFFFFL & ~(size - 1) & ~0xFL) | bar32.flags(), back32);
          // The dword after a 32-bit BAR is not part of it.
          assertEquals(0, size32(s32, 0x14, -1), bar32.toString());
        }
      }
    }
    for (int shift = 2; shift <= 15; shift++) {
      int size = 1 << shift;
      ConfigSpace s = single(Bar.io(size));
      long back = size32(s, 0x10, -1);
      assertEquals(size, Bar.decodeSize(back, Kind.IO), "I/O " + size);
      assertEquals((0xFFFFL & ~(size - 1) & ~0x3L) | 1, back, "I/O " + size);
    }
    for (int shift = 11; shift <= 24; shift++) {
      int size = 1 << shift;
      LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
      new ExpansionRom(size).install(b, 0x30);
      ConfigSpace s = new ConfigSpace(b.build());
      long back = size32(s, 0x30, ~ExpansionRom.ENABLE);
      assertEquals(size, Bar.decodeSize(back, Kind.MEM32), "ROM " + size);
      assertEquals(0xFFFFFFFFL & ~(size - 1), back, "ROM " + size);
    }
  }

  @Test
  void aBarThatDoesNotExistDecodesToZero() {
    ConfigSpace s = new ConfigSpace(new LayoutBuilder(ConfigLayout.PCIE_SIZE).build());
    assertEquals(0, Bar.decodeSize(size32(s, 0x10, -1), Kind.MEM32));
    assertEquals(0, Bar.decodeSize(size32(s, 0x10, -1), Kind.IO));
    assertEquals(0, Bar.decodeSize(size64(s, 0x10), Kind.MEM64));
    // Type bits alone, as Linux's pci_size sees them: still no BAR.
    assertEquals(0, Bar.decodeSize(0x8, Kind.MEM32));
    assertEquals(0, Bar.decodeSize(0x1, Kind.IO));
    assertEquals(0, Bar.decodeSize(0xC, Kind.MEM64));
  }

  @Test
  void decodeAcceptsSignExtendedReadBacksOfThirtyTwoBitBars() {
    // A caller that widens the int read-back with a plain cast gets the same answer.
    assertEquals(1L << 20, Bar.decodeSize((long) 0xFFF00000, Kind.MEM32));
    assertEquals(1L << 31, Bar.decodeSize((long) 0x80000008, Kind.MEM32));
    assertEquals(256, Bar.decodeSize((long) 0xFFFFFF01, Kind.IO));
    assertEquals(256, Bar.decodeSize(0x0000FF01L, Kind.IO));
  }

  @Test
  void barDescriptors() {
    assertEquals(2, Bar.mem64(4096).slots());
    assertEquals(1, Bar.mem32(4096).slots());
    assertEquals(1, Bar.io(16).slots());
    assertEquals(true, Bar.mem64(4096).isMemory());
    assertEquals(false, Bar.io(16).isMemory());
    assertEquals(0x0, Bar.mem32(16).flags());
    assertEquals(0x8, new Bar(Kind.MEM32, 16, true).flags());
    assertEquals(0x4, Bar.mem64(16).flags());
    assertEquals(0xC, Bar.mem64Prefetchable(16).flags());
    assertEquals(0x1, Bar.io(4).flags());
  }

  @Test
  void invalidBarSizesAreRejected() {
    long[] badMem32 = {0, 1, 8, 15, 24, 3 << 20, 1L << 32, -16, Long.MIN_VALUE};
    for (long size : badMem32) {
      assertThrows(IllegalArgumentException.class, () -> Bar.mem32(size), "mem32 " + size);
    }
    long[] badMem64 = {0, 8, 48, 1L << 63, -(1L << 20), (1L << 40) + 1};
    for (long size : badMem64) {
      assertThrows(IllegalArgumentException.class, () -> Bar.mem64(size), "mem64 " + size);
      assertThrows(IllegalArgumentException.class, () -> Bar.mem64Prefetchable(size));
    }
    // 64 KiB of 16-bit I/O would have no writable address bit: unsizeable and unplaceable.
    int[] badIo = {0, 1, 2, 3, 6, 1 << 16, 1 << 17, -4, Integer.MIN_VALUE};
    for (int size : badIo) {
      assertThrows(IllegalArgumentException.class, () -> Bar.io(size), "io " + size);
    }
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new Bar(Kind.IO, 16, true));
    assertTrue(e.getMessage().contains("prefetchable"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> Bar.mem32(3 << 20));
    assertTrue(e.getMessage().contains(String.valueOf(3 << 20)), e.getMessage());
    int[] badRom = {0, 1024, 2047, 3000, 1 << 25, -2048, Integer.MIN_VALUE};
    for (int size : badRom) {
      assertThrows(IllegalArgumentException.class, () -> new ExpansionRom(size), "rom " + size);
    }
  }

  @Test
  void aBarThatDoesNotFitIsRejectedByTheBuilder() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.CONVENTIONAL_SIZE);
    assertThrows(ConfigAccessException.class, () -> Bar.mem64(4096).install(b, 0xFC));
    assertThrows(ConfigAccessException.class, () -> Bar.mem32(4096).install(b, 0x12));
  }
}
