package io.pciefarm.config;

/**
 * One capability structure: it knows its ID and size and writes its registers, with their
 * defaults and masks, into a layout at the place the builder chose. The builder owns the list
 * linkage (ID and next-pointer bytes, or the extended header dword); the capability owns the
 * rest of its bytes.
 */
public interface Capability {
  /** Capability ID: 8 bits in the conventional list, 16 bits in the extended list. */
  int id();

  /** Bytes the structure occupies, including its header. */
  int length();

  /** True for an extended capability (placed at 0x100 or above, PCIe functions only). */
  default boolean extended() {
    return false;
  }

  /** Version nibble of an extended capability header; ignored for conventional ones. */
  default int version() {
    return 1;
  }

  /**
   * Writes the registers after the list header into {@code layout}.
   *
   * @param base offset of the capability's first byte
   */
  void install(LayoutBuilder layout, int base);
}
