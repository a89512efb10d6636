package io.pciefarm.spec;

/** MSI capability (ID 05h). */
public final class Msi {
  private Msi() {}

  public static final int CONTROL = 0x02;
  public static final int ADDRESS_LO = 0x04;
  public static final int CONTROL_ENABLE = 1 << 0;
  public static final int CONTROL_MMC_SHIFT = 1;
  public static final int CONTROL_MME_MASK = 7 << 4;
  public static final int CONTROL_64BIT = 1 << 7;
  public static final int CONTROL_PER_VECTOR_MASK = 1 << 8;

  public static final int CONTROL_MMC_MASK = 7 << 1;
  public static final int CONTROL_MME_SHIFT = 4;
  /** Message Address bits 1:0 are reserved: the address is dword aligned. */
  public static final int ADDRESS_LO_RESERVED = 0x3;
  /** Most vectors one function can request (Multiple Message Capable 101b). */
  public static final int MAX_VECTORS = 32;

  /** Register offsets of the 32-bit address layout. */
  public static final int DATA_32 = 0x08;
  public static final int MASK_32 = 0x0C;
  public static final int PENDING_32 = 0x10;
  /** Register offsets of the 64-bit address layout. */
  public static final int ADDRESS_HI = 0x08;
  public static final int DATA_64 = 0x0C;
  public static final int MASK_64 = 0x10;
  public static final int PENDING_64 = 0x14;

  /** Structure lengths: 32/64-bit address, without and with per-vector masking. */
  public static final int LENGTH_32 = 10;
  public static final int LENGTH_64 = 14;
  public static final int LENGTH_32_PVM = 20;
  public static final int LENGTH_64_PVM = 24;
}
