package io.pciefarm.spec;

/** Type 1 (PCI-to-PCI bridge) header registers from 0x10 on, and Bridge Control bits. */
public final class Type1 {
  private Type1() {}

  public static final int BAR_COUNT = 2;
  public static final int PRIMARY_BUS = 0x18;
  public static final int SECONDARY_BUS = 0x19;
  public static final int SUBORDINATE_BUS = 0x1A;
  public static final int SECONDARY_LATENCY = 0x1B;
  public static final int IO_BASE = 0x1C;
  public static final int IO_LIMIT = 0x1D;
  public static final int SECONDARY_STATUS = 0x1E;
  public static final int MEMORY_BASE = 0x20;
  public static final int MEMORY_LIMIT = 0x22;
  public static final int PREF_MEMORY_BASE = 0x24;
  public static final int PREF_MEMORY_LIMIT = 0x26;
  public static final int PREF_BASE_UPPER32 = 0x28;
  public static final int PREF_LIMIT_UPPER32 = 0x2C;
  public static final int IO_BASE_UPPER16 = 0x30;
  public static final int IO_LIMIT_UPPER16 = 0x32;
  public static final int ROM_ADDRESS = 0x38;
  public static final int BRIDGE_CONTROL = 0x3E;

  /** I/O base/limit low nibble: 0 = 16-bit decode, 1 = 32-bit decode. */
  public static final int IO_RANGE_32 = 0x01;
  /** Prefetchable base/limit low nibble: 0 = 32-bit, 1 = 64-bit. */
  public static final int PREF_RANGE_64 = 0x0001;

  /** Bridge Control bits. */
  public static final int BRIDGE_CTL_PARITY = 1 << 0;
  public static final int BRIDGE_CTL_SERR = 1 << 1;
  public static final int BRIDGE_CTL_ISA = 1 << 2;
  public static final int BRIDGE_CTL_VGA = 1 << 3;
  public static final int BRIDGE_CTL_VGA_16BIT = 1 << 4;
  public static final int BRIDGE_CTL_MASTER_ABORT = 1 << 5;
  public static final int BRIDGE_CTL_BUS_RESET = 1 << 6;
  public static final int BRIDGE_CTL_FAST_BACK = 1 << 7;
}
