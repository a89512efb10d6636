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
}
