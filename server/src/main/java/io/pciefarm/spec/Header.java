package io.pciefarm.spec;

/** Offsets and bits of the first 64 bytes common to type 0 and type 1 headers. */
public final class Header {
  private Header() {}

  public static final int VENDOR_ID = 0x00;
  public static final int DEVICE_ID = 0x02;
  public static final int COMMAND = 0x04;
  public static final int STATUS = 0x06;
  public static final int REVISION_ID = 0x08;
  /** Programming interface; the class code is the 24 bits at 0x09..0x0B. */
  public static final int CLASS_PROG = 0x09;
  public static final int CLASS_DEVICE = 0x0A;
  public static final int CACHE_LINE_SIZE = 0x0C;
  public static final int LATENCY_TIMER = 0x0D;
  public static final int HEADER_TYPE = 0x0E;
  public static final int BIST = 0x0F;
  public static final int BAR0 = 0x10;
  public static final int CAPABILITY_LIST = 0x34;
  public static final int INTERRUPT_LINE = 0x3C;
  public static final int INTERRUPT_PIN = 0x3D;

  /** Header Type byte: layout in bits 6:0, multi-function flag in bit 7. */
  public static final int HEADER_TYPE_NORMAL = 0x00;
  public static final int HEADER_TYPE_BRIDGE = 0x01;
  public static final int HEADER_TYPE_MULTI_FUNCTION = 0x80;

  /** Command register bits. */
  public static final int COMMAND_IO = 1 << 0;
  public static final int COMMAND_MEMORY = 1 << 1;
  public static final int COMMAND_MASTER = 1 << 2;
  public static final int COMMAND_SPECIAL = 1 << 3;
  public static final int COMMAND_INVALIDATE = 1 << 4;
  public static final int COMMAND_VGA_PALETTE = 1 << 5;
  public static final int COMMAND_PARITY = 1 << 6;
  public static final int COMMAND_SERR = 1 << 8;
  public static final int COMMAND_FAST_BACK = 1 << 9;
  public static final int COMMAND_INTX_DISABLE = 1 << 10;

  /** Status register bits. */
  public static final int STATUS_IMMEDIATE_READINESS = 1 << 0;
  public static final int STATUS_INTERRUPT = 1 << 3;
  public static final int STATUS_CAP_LIST = 1 << 4;
  public static final int STATUS_66MHZ = 1 << 5;
  public static final int STATUS_FAST_BACK = 1 << 7;
  public static final int STATUS_MASTER_DATA_PARITY = 1 << 8;
  public static final int STATUS_DEVSEL_MASK = 3 << 9;
  public static final int STATUS_SIG_TARGET_ABORT = 1 << 11;
  public static final int STATUS_REC_TARGET_ABORT = 1 << 12;
  public static final int STATUS_REC_MASTER_ABORT = 1 << 13;
  public static final int STATUS_SIG_SYSTEM_ERROR = 1 << 14;
  public static final int STATUS_DETECTED_PARITY = 1 << 15;
  /** The error bits software clears by writing 1. */
  public static final int STATUS_ERRORS_RW1C = STATUS_MASTER_DATA_PARITY | STATUS_SIG_TARGET_ABORT
      | STATUS_REC_TARGET_ABORT | STATUS_REC_MASTER_ABORT | STATUS_SIG_SYSTEM_ERROR
      | STATUS_DETECTED_PARITY;
}
