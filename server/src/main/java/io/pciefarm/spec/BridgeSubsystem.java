package io.pciefarm.spec;

/** Subsystem ID and Subsystem Vendor ID capability for type 1 functions (ID 0Dh). */
public final class BridgeSubsystem {
  private BridgeSubsystem() {}

  public static final int LENGTH = 8;
  public static final int SUBSYSTEM_VENDOR_ID = 0x04;
  public static final int SUBSYSTEM_ID = 0x06;
}
