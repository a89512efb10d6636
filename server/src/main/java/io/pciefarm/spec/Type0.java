package io.pciefarm.spec;

/** Type 0 (endpoint) header registers from 0x10 on. */
public final class Type0 {
  private Type0() {}

  public static final int BAR_COUNT = 6;
  public static final int CARDBUS_CIS = 0x28;
  public static final int SUBSYSTEM_VENDOR_ID = 0x2C;
  public static final int SUBSYSTEM_ID = 0x2E;
  public static final int ROM_ADDRESS = 0x30;
  public static final int MIN_GNT = 0x3E;
  public static final int MAX_LAT = 0x3F;
}
