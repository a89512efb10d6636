package io.pciefarm.config;

/**
 * A Base Address Register as a model declares it. Its writable mask is {@code ~(size - 1)} over
 * the address bits, so software that writes all ones reads the size back; the low type bits are
 * read-only. A 64-bit BAR spans two dwords. Used by type 0 and type 1 headers and by SR-IOV's
 * VF BARs.
 *
 * @param kind I/O, 32-bit memory or 64-bit memory
 * @param size bytes decoded, a power of two (4 B..32 KiB for I/O, at least 16 for memory)
 * @param prefetchable the memory BAR's prefetchable flag (bit 3)
 */
public record Bar(Kind kind, long size, boolean prefetchable) {
  /** Address space a BAR decodes. */
  public enum Kind {
    IO,
    MEM32,
    MEM64
  }

  public static final int IO_SPACE = 0x1;
  public static final int MEM_TYPE_64 = 0x4;
  public static final int MEM_PREFETCH = 0x8;

  public Bar {
    if (Long.bitCount(size) != 1) {
      throw new IllegalArgumentException("BAR size " + size + " is not a power of two");
    }
    long min = kind == Kind.IO ? 4 : 16;
    long max = switch (kind) {
      // 16-bit I/O decode: a 64 KiB BAR would have no writable bit, read back as "no BAR"
      // and be stuck at address 0.
      case IO -> 1L << 15;
      case MEM32 -> 1L << 31;
      case MEM64 -> 1L << 62;
    };
    if (size < min || size > max) {
      throw new IllegalArgumentException(kind + " BAR size " + size + " is outside " + min + ".."
          + max);
    }
    if (kind == Kind.IO && prefetchable) {
      throw new IllegalArgumentException("an I/O BAR cannot be prefetchable");
    }
  }

  public static Bar io(int size) {
    return new Bar(Kind.IO, size, false);
  }

  public static Bar mem32(long size) {
    return new Bar(Kind.MEM32, size, false);
  }

  public static Bar mem64(long size) {
    return new Bar(Kind.MEM64, size, false);
  }

  public static Bar mem64Prefetchable(long size) {
    return new Bar(Kind.MEM64, size, true);
  }

  /** BAR registers (dwords) this BAR occupies: 2 for 64-bit memory, else 1. */
  public int slots() {
    return kind == Kind.MEM64 ? 2 : 1;
  }

  public boolean isMemory() {
    return kind != Kind.IO;
  }

  /** The read-only low bits: I/O flag, or memory type and prefetchable. */
  public int flags() {
    return switch (kind) {
      case IO -> IO_SPACE;
      case MEM32 -> prefetchable ? MEM_PREFETCH : 0;
      case MEM64 -> MEM_TYPE_64 | (prefetchable ? MEM_PREFETCH : 0);
    };
  }

  /** Writes this BAR's flags and sizing masks at {@code offset} (one or two dwords). */
  public void install(LayoutBuilder layout, int offset) {
    long addressMask = ~(size - 1);
    int lowFlagBits = kind == Kind.IO ? 0x3 : 0xF;
    layout.value(offset, 4, flags());
    layout.rw(offset, 4, (int) addressMask & ~lowFlagBits);
    if (kind == Kind.MEM64) {
      layout.value(offset + 4, 4, 0);
      layout.rw(offset + 4, 4, (int) (addressMask >>> 32));
    } else if (kind == Kind.IO) {
      // I/O BARs decode 16 bits on PCIe: the upper half reads 0.
      layout.readOnly(offset, 4, 0xFFFF0000);
    }
  }

  /** Size software computes from the value a BAR reads after all ones were written to it. */
  public static long decodeSize(long readBack, Kind kind) {
    long mask = kind == Kind.IO ? ~0x3L : ~0xFL;
    long bits = readBack & mask;
    if (kind != Kind.MEM64) {
      bits &= 0xFFFF_FFFFL;
    }
    if (bits == 0) {
      // No address bit took the ones: the BAR is not implemented (Linux's pci_size returns 0).
      return 0;
    }
    if (kind == Kind.IO) {
      bits |= 0xFFFF_0000L;
      bits |= 0xFFFF_FFFF_0000_0000L;
    } else if (kind == Kind.MEM32) {
      bits |= 0xFFFF_FFFF_0000_0000L;
    }
    return -bits;
  }
}
