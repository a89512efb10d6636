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
}
