package io.pciefarm.spec;

/** MSI-X capability (ID 11h). */
public final class MsiX {
  private MsiX() {}

  public static final int LENGTH = 12;
  public static final int CONTROL = 0x02;
  public static final int TABLE = 0x04;
  public static final int PBA = 0x08;
  public static final int CONTROL_TABLE_SIZE_MASK = 0x07FF;
  public static final int CONTROL_FUNCTION_MASK = 1 << 14;
  public static final int CONTROL_ENABLE = 1 << 15;

  /** Table/PBA register: BAR indicator in bits 2:0, qword-aligned offset in bits 31:3. */
  public static final int BIR_MASK = 0x7;
  public static final int OFFSET_MASK = ~BIR_MASK;
  /** Largest table: Table Size is 11 bits of N-1. */
  public static final int MAX_TABLE_SIZE = 2048;
}
