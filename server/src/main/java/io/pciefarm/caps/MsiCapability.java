package io.pciefarm.caps;

import io.pciefarm.config.Capability;
import io.pciefarm.config.LayoutBuilder;
import io.pciefarm.config.Register;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.Msi;

/**
 * MSI capability (ID 05h). Its length follows the spec's four layouts: 10 bytes (32-bit
 * address), 14 (64-bit), 20 (32-bit with per-vector masking), 24 (64-bit with masking).
 *
 * <ul>
 *   <li>Message Control (+2), hooked as {@link Register#MSI_CONTROL} (2 bytes): MSI Enable (0)
 *       and Multiple Message Enable (6:4) RW; Multiple Message Capable (3:1), 64-bit Address
 *       Capable (7) and Per-Vector Masking Capable (8) RO; bits 15:9 read 0.
 *   <li>Message Address (+4): bits 31:2 RW, bits 1:0 read 0 (dword aligned).
 *   <li>Message Upper Address (+8, 64-bit layouts only): RW.
 *   <li>Message Data: bits 15:0 RW (no extended message data).
 *   <li>Mask Bits (with masking), hooked as {@link Register#MSI_MASK}: RW for the implemented
 *       vectors, other bits read 0.
 *   <li>Pending Bits (with masking): RO; the function sets them.
 * </ul>
 * Nothing is sticky; every field resets to 0.
 */
public final class MsiCapability implements Capability {
  private final int vectors;
  private final boolean address64;
  private final boolean perVectorMask;

  private MsiCapability(int vectors, boolean address64, boolean perVectorMask) {
    this.vectors = vectors;
    this.address64 = address64;
    this.perVectorMask = perVectorMask;
  }

  /** A builder for one vector, 64-bit address (PCI Express functions must have it), no mask. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public int id() {
    return CapabilityId.MSI;
  }

  @Override
  public int length() {
    if (perVectorMask) {
      return address64 ? Msi.LENGTH_64_PVM : Msi.LENGTH_32_PVM;
    }
    return address64 ? Msi.LENGTH_64 : Msi.LENGTH_32;
  }

  /** Vectors the function can use: 1, 2, 4, 8, 16 or 32. */
  public int vectors() {
    return vectors;
  }

  public boolean address64() {
    return address64;
  }

  public boolean perVectorMask() {
    return perVectorMask;
  }

  /** Offset of Message Data from the capability. */
  public int dataOffset() {
    return address64 ? Msi.DATA_64 : Msi.DATA_32;
  }

  /** Offset of Mask Bits from the capability, or -1 without per-vector masking. */
  public int maskOffset() {
    if (!perVectorMask) {
      return -1;
    }
    return address64 ? Msi.MASK_64 : Msi.MASK_32;
  }

  /** Offset of Pending Bits from the capability, or -1 without per-vector masking. */
  public int pendingOffset() {
    if (!perVectorMask) {
      return -1;
    }
    return address64 ? Msi.PENDING_64 : Msi.PENDING_32;
  }

  /** The Message Control reset value: the read-only capability fields. */
  public int control() {
    int mmc = Integer.numberOfTrailingZeros(vectors);
    return (mmc << Msi.CONTROL_MMC_SHIFT) | (address64 ? Msi.CONTROL_64BIT : 0)
        | (perVectorMask ? Msi.CONTROL_PER_VECTOR_MASK : 0);
  }

  @Override
  public void install(LayoutBuilder layout, int base) {
    int control = base + Msi.CONTROL;
    layout.value(control, 2, control());
    // MME is three bits even when fewer vectors exist, as on real hardware: software must not
    // enable more than MMC, and what a function does if it does is undefined.
    layout.rw(control, 2, Msi.CONTROL_ENABLE | Msi.CONTROL_MME_MASK);
    layout.hook(Register.MSI_CONTROL, control, 2);
    layout.rw(base + Msi.ADDRESS_LO, 4, ~Msi.ADDRESS_LO_RESERVED);
    if (address64) {
      layout.rw(base + Msi.ADDRESS_HI, 4, -1);
    }
    layout.rw(base + dataOffset(), 2, 0xFFFF);
    if (perVectorMask) {
      int implemented = vectors == Msi.MAX_VECTORS ? -1 : (1 << vectors) - 1;
      layout.rw(base + maskOffset(), 4, implemented);
      layout.hook(Register.MSI_MASK, base + maskOffset(), 4);
    }
  }

  @Override
  public String toString() {
    return "MsiCapability[vectors=" + vectors + ", address64=" + address64 + ", perVectorMask="
        + perVectorMask + "]";
  }

  /** Collects the MSI options. */
  public static final class Builder {
    private int vectors = 1;
    private boolean address64 = true;
    private boolean perVectorMask;

    private Builder() {}

    /** Vectors requested (Multiple Message Capable): a power of two from 1 to 32. */
    public Builder vectors(int n) {
      if (n < 1 || n > Msi.MAX_VECTORS || Integer.bitCount(n) != 1) {
        throw new IllegalArgumentException("MSI vectors " + n
            + " is not 1, 2, 4, 8, 16 or 32");
      }
      this.vectors = n;
      return this;
    }

    public Builder address64(boolean address64) {
      this.address64 = address64;
      return this;
    }

    public Builder perVectorMask(boolean perVectorMask) {
      this.perVectorMask = perVectorMask;
      return this;
    }

    public MsiCapability build() {
      return new MsiCapability(vectors, address64, perVectorMask);
    }
  }
}
