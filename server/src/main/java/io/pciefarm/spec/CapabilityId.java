package io.pciefarm.spec;

/** Capability IDs of the conventional list (0x40..0xFF) and of the extended list (0x100..). */
public final class CapabilityId {
  private CapabilityId() {}

  public static final int PM = 0x01;
  public static final int MSI = 0x05;
  public static final int VENDOR = 0x09;
  public static final int BRIDGE_SUBSYSTEM = 0x0D;
  public static final int EXP = 0x10;
  public static final int MSIX = 0x11;
  public static final int AF = 0x13;

  public static final int EXT_AER = 0x0001;
  public static final int EXT_DSN = 0x0003;
  public static final int EXT_ACS = 0x000D;
  public static final int EXT_ARI = 0x000E;
  public static final int EXT_SRIOV = 0x0010;
  public static final int EXT_DPC = 0x001D;

  /** First byte of the extended capability list. */
  public static final int EXTENDED_START = 0x100;
}
