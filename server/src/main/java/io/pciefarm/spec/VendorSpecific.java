package io.pciefarm.spec;

/** Vendor-specific capability (ID 09h): a length byte, then vendor-defined bytes. */
public final class VendorSpecific {
  private VendorSpecific() {}

  /** Byte holding the structure's length in bytes, header included. */
  public static final int LENGTH_FIELD = 0x02;
  /** First vendor-defined byte; also the length of a structure with no payload. */
  public static final int DATA = 0x03;
  /** Largest structure the 8-bit length field can describe. */
  public static final int MAX_LENGTH = 0xFF;
}
