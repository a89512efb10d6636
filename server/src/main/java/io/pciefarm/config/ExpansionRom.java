package io.pciefarm.config;

/**
 * An Expansion ROM Base Address Register (0x30 in type 0, 0x38 in type 1): address bits 31:11
 * size like a memory BAR, bit 0 enables decode and is read-write.
 *
 * @param size bytes, a power of two of at least 2 KiB
 */
public record ExpansionRom(int size) {
  public static final int ENABLE = 0x1;

  public ExpansionRom {
    if (Integer.bitCount(size) != 1 || size < 2048 || size > (1 << 24)) {
      throw new IllegalArgumentException("expansion ROM size " + size
          + " is not a power of two from 2 KiB to 16 MiB");
    }
  }

  public void install(LayoutBuilder layout, int offset) {
    layout.value(offset, 4, 0);
    layout.rw(offset, 4, (~(size - 1) & 0xFFFFF800) | ENABLE);
  }
}
