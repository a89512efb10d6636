package io.pciefarm.config;

import io.pciefarm.config.ConfigAccessException.Reason;

/** Validation and bit arithmetic shared by every config access. */
public final class ConfigAccess {
  private ConfigAccess() {}

  /**
   * Checks that an access of {@code width} bytes at {@code offset} is one hardware could issue to
   * a config space of {@code size} bytes.
   *
   * @throws ConfigAccessException naming the offending value
   */
  public static void check(int offset, int width, int size) {
    if (width != 1 && width != 2 && width != 4) {
      throw new ConfigAccessException(Reason.BAD_WIDTH,
          "access width " + width + " is not 1, 2 or 4 bytes");
    }
    if (offset < 0 || offset > size - width) {
      throw new ConfigAccessException(Reason.OUT_OF_RANGE, String.format(
          "offset %s width %d is outside the %d-byte config space", hex(offset), width, size));
    }
    if ((offset & (width - 1)) != 0) {
      throw new ConfigAccessException(Reason.MISALIGNED, String.format(
          "offset 0x%x is not aligned to the %d-byte access width", offset, width));
    }
  }

  /** A signed hex offset: -1 is "-0x1", not "0xffffffff" (what a client sent, not its bits). */
  private static String hex(int offset) {
    return offset < 0 ? "-0x" + Long.toHexString(-(long) offset)
        : "0x" + Integer.toHexString(offset);
  }

  /** All ones over {@code width} bytes: 0xFF, 0xFFFF or 0xFFFFFFFF. */
  public static int widthMask(int width) {
    return width == 4 ? -1 : (1 << (width * 8)) - 1;
  }

  /** The value of {@code width} bytes at {@code offset} taken out of its dword. */
  public static int extract(int dword, int offset, int width) {
    return (dword >>> ((offset & 3) * 8)) & widthMask(width);
  }
}
