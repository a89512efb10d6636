package io.pciefarm.config;

/**
 * A register with behaviour at a fixed place in one layout.
 *
 * @param register what the register is
 * @param offset byte offset in config space, naturally aligned for {@code width}
 * @param width 1, 2 or 4 bytes; a hooked register never crosses a dword
 */
public record HookedRegister(Register register, int offset, int width) {
  public HookedRegister {
    ConfigAccess.check(offset, width, ConfigLayout.PCIE_SIZE);
  }

  /** Bit shift of this register inside its dword. */
  int shift() {
    return (offset & 3) * 8;
  }

  /** True when an access of {@code width} bytes at {@code offset} touches this register. */
  boolean overlaps(int accessOffset, int accessWidth) {
    return accessOffset < offset + width && offset < accessOffset + accessWidth;
  }
}
