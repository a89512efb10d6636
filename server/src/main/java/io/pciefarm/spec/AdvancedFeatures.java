package io.pciefarm.spec;

/** Conventional PCI Advanced Features capability (ID 13h). */
public final class AdvancedFeatures {
  private AdvancedFeatures() {}

  public static final int LENGTH_FIELD = 0x02;
  public static final int CAPABILITIES = 0x03;
  public static final int CONTROL = 0x04;
  public static final int STATUS = 0x05;
  /** The Length byte's fixed value. */
  public static final int LENGTH = 6;
  public static final int CAP_TP = 1 << 0;
  public static final int CAP_FLR = 1 << 1;
  public static final int CONTROL_INITIATE_FLR = 1 << 0;
  public static final int STATUS_TP = 1 << 0;
}
