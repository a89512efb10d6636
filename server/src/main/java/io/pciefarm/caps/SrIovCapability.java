package io.pciefarm.caps;

import io.pciefarm.config.Bar;
import io.pciefarm.config.Capability;
import io.pciefarm.config.LayoutBuilder;
import io.pciefarm.config.Register;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.ExtendedCapabilities;
import java.util.Arrays;

/**
 * Single Root I/O Virtualization extended capability (0010h), version 1, 40h bytes, for a
 * physical function.
 *
 * <ul>
 *   <li>SR-IOV Capabilities (+4): RO 0 (no VF Migration, which later specs deprecate).
 *   <li>SR-IOV Control (+8), hooked as {@link Register#SRIOV_CONTROL} (2 bytes): VF Enable (0)
 *       and VF MSE (3) RW; ARI Capable Hierarchy (4) RW in the lowest-numbered PF only (RO 0 in
 *       the others); VF Migration Enable and its interrupt enable RO 0.
 *   <li>SR-IOV Status (+A): RO 0.
 *   <li>InitialVFs (+C), TotalVFs (+E), Function Dependency Link (+12), First VF Offset (+14),
 *       VF Stride (+16), VF Device ID (+1A), Supported Page Sizes (+1C): RO.
 *   <li>NumVFs (+10): RW, 16 bits, reset 0.
 *   <li>System Page Size (+20): RW over the supported page sizes (other bits read 0), reset
 *       to 4 KiB.
 *   <li>VF BAR0..5 (+24..+38): sizing masks from {@link Bar#install}; unused BARs read 0. Each
 *       BAR's size is per VF; its mask is static, so it should be at least the largest system
 *       page size software will choose.
 *   <li>VF Migration State Array Offset (+3C): RO 0.
 * </ul>
 * Nothing is sticky. Changing NumVFs or ARI Capable Hierarchy may change First VF Offset and
 * VF Stride on real devices; that is the listener's business.
 */
public final class SrIovCapability implements Capability {
  private final int totalVfs;
  private final int initialVfs;
  private final int vfOffset;
  private final int vfStride;
  private final int vfDeviceId;
  private final int supportedPageSizes;
  private final int functionDependencyLink;
  private final boolean lowestNumberedPf;
  private final Bar[] vfBars;

  private SrIovCapability(Builder b) {
    this.totalVfs = b.totalVfs;
    this.initialVfs = b.initialVfs < 0 ? b.totalVfs : b.initialVfs;
    this.vfOffset = b.vfOffset;
    this.vfStride = b.vfStride;
    this.vfDeviceId = b.vfDeviceId;
    this.supportedPageSizes = b.supportedPageSizes;
    this.functionDependencyLink = b.functionDependencyLink;
    this.lowestNumberedPf = b.lowestNumberedPf;
    this.vfBars = b.vfBars.clone();
  }

  /**
   * A builder with VF offset 1, stride 1, the spec's mandatory page sizes (4K, 8K, 64K, 256K,
   * 1M, 4M), Function Dependency Link 0, as the lowest-numbered PF, no VF BARs. TotalVFs and
   * the VF Device ID must be given.
   */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public int id() {
    return CapabilityId.EXT_SRIOV;
  }

  @Override
  public boolean extended() {
    return true;
  }

  @Override
  public int length() {
    return ExtendedCapabilities.SRIOV_LENGTH;
  }

  public int totalVfs() {
    return totalVfs;
  }

  public int initialVfs() {
    return initialVfs;
  }

  public int vfOffset() {
    return vfOffset;
  }

  public int vfStride() {
    return vfStride;
  }

  public int vfDeviceId() {
    return vfDeviceId;
  }

  public int supportedPageSizes() {
    return supportedPageSizes;
  }

  public int functionDependencyLink() {
    return functionDependencyLink;
  }

  public boolean lowestNumberedPf() {
    return lowestNumberedPf;
  }

  /** The VF BAR declared at {@code index} (0..5), or null (also for a 64-bit BAR's upper half). */
  public Bar vfBar(int index) {
    return vfBars[index];
  }

  @Override
  public void install(LayoutBuilder layout, int base) {
    int control = base + ExtendedCapabilities.SRIOV_CONTROL;
    layout.rw(control, 2, ExtendedCapabilities.SRIOV_CTRL_VFE
        | ExtendedCapabilities.SRIOV_CTRL_MSE
        | (lowestNumberedPf ? ExtendedCapabilities.SRIOV_CTRL_ARI : 0));
    layout.hook(Register.SRIOV_CONTROL, control, 2);
    layout.value(base + ExtendedCapabilities.SRIOV_INITIAL_VFS, 2, initialVfs);
    layout.value(base + ExtendedCapabilities.SRIOV_TOTAL_VFS, 2, totalVfs);
    layout.rw(base + ExtendedCapabilities.SRIOV_NUM_VFS, 2, 0xFFFF);
    layout.value(base + ExtendedCapabilities.SRIOV_FUNCTION_LINK, 1, functionDependencyLink);
    layout.value(base + ExtendedCapabilities.SRIOV_VF_OFFSET, 2, vfOffset);
    layout.value(base + ExtendedCapabilities.SRIOV_VF_STRIDE, 2, vfStride);
    layout.value(base + ExtendedCapabilities.SRIOV_VF_DEVICE_ID, 2, vfDeviceId);
    layout.value(base + ExtendedCapabilities.SRIOV_SUPPORTED_PAGE_SIZES, 4, supportedPageSizes);
    int pageSize = base + ExtendedCapabilities.SRIOV_SYSTEM_PAGE_SIZE;
    layout.value(pageSize, 4, ExtendedCapabilities.SRIOV_PAGE_SIZE_4K);
    layout.rw(pageSize, 4, supportedPageSizes);
    for (int i = 0; i < ExtendedCapabilities.SRIOV_VF_BAR_COUNT; i++) {
      if (vfBars[i] != null) {
        vfBars[i].install(layout, base + ExtendedCapabilities.SRIOV_BAR0 + 4 * i);
      }
    }
  }

  @Override
  public String toString() {
    return String.format("SrIovCapability[total=%d, initial=%d, offset=%d, stride=%d, "
        + "vfDevice=0x%04x, pages=0x%x, fdl=%d, lowestPf=%b, bars=%s]", totalVfs, initialVfs,
        vfOffset, vfStride, vfDeviceId, supportedPageSizes, functionDependencyLink,
        lowestNumberedPf, Arrays.toString(vfBars));
  }

  /** Collects a PF's SR-IOV parameters. */
  public static final class Builder {
    private int totalVfs = -1;
    private int initialVfs = -1;
    private int vfOffset = 1;
    private int vfStride = 1;
    private int vfDeviceId = -1;
    private int supportedPageSizes = ExtendedCapabilities.SRIOV_PAGE_SIZES_REQUIRED;
    private int functionDependencyLink;
    private boolean lowestNumberedPf = true;
    private final Bar[] vfBars = new Bar[ExtendedCapabilities.SRIOV_VF_BAR_COUNT];
    private final boolean[] claimed = new boolean[ExtendedCapabilities.SRIOV_VF_BAR_COUNT];

    private Builder() {}

    /** TotalVFs: 1..65535. */
    public Builder totalVfs(int n) {
      this.totalVfs = u16("TotalVFs", n);
      return this;
    }

    /**
     * InitialVFs. Without VF Migration the spec requires it to equal TotalVFs, which is the
     * default; {@link #build} refuses any other value.
     */
    public Builder initialVfs(int n) {
      this.initialVfs = u16("InitialVFs", n);
      return this;
    }

    /** First VF Offset: the first VF's Routing ID minus the PF's. */
    public Builder vfOffset(int offset) {
      this.vfOffset = u16("First VF Offset", offset);
      return this;
    }

    /** VF Stride: Routing ID distance between consecutive VFs. */
    public Builder vfStride(int stride) {
      this.vfStride = u16("VF Stride", stride);
      return this;
    }

    public Builder vfDeviceId(int id) {
      this.vfDeviceId = u16("VF Device ID", id);
      return this;
    }

    /** Supported Page Sizes: bit n means 2^(n+12) bytes; must include 4 KiB (bit 0). */
    public Builder supportedPageSizes(int mask) {
      if ((mask & ExtendedCapabilities.SRIOV_PAGE_SIZE_4K) == 0) {
        throw new IllegalArgumentException(String.format(
            "supported page sizes 0x%x lack 4 KiB, the System Page Size reset value", mask));
      }
      this.supportedPageSizes = mask;
      return this;
    }

    /** Function Dependency Link: the function number this PF depends on (its own if none). */
    public Builder functionDependencyLink(int function) {
      if (function < 0 || function > 255) {
        throw new IllegalArgumentException("function dependency link " + function
            + " is outside 0..255");
      }
      this.functionDependencyLink = function;
      return this;
    }

    /** False for PFs other than the device's lowest-numbered: ARI Capable Hierarchy is RO 0. */
    public Builder lowestNumberedPf(boolean lowest) {
      this.lowestNumberedPf = lowest;
      return this;
    }

    /**
     * Declares VF BAR {@code index}: a memory BAR, sized per VF. A 64-bit BAR also takes
     * {@code index + 1}.
     */
    public Builder vfBar(int index, Bar bar) {
      if (index < 0 || index >= ExtendedCapabilities.SRIOV_VF_BAR_COUNT) {
        throw new IllegalArgumentException("VF BAR index " + index + " is outside 0..5");
      }
      if (!bar.isMemory()) {
        throw new IllegalArgumentException("VF BARs decode memory only, not " + bar.kind());
      }
      int last = index + bar.slots() - 1;
      if (last >= ExtendedCapabilities.SRIOV_VF_BAR_COUNT) {
        throw new IllegalArgumentException("64-bit VF BAR " + index
            + " needs the next BAR, and BAR5 is the last");
      }
      for (int i = index; i <= last; i++) {
        if (claimed[i]) {
          throw new IllegalStateException("VF BAR" + i + " is already declared");
        }
      }
      for (int i = index; i <= last; i++) {
        claimed[i] = true;
      }
      vfBars[index] = bar;
      return this;
    }

    /** @throws IllegalStateException if a required value is missing or values contradict */
    public SrIovCapability build() {
      if (totalVfs < 1) {
        throw new IllegalStateException("TotalVFs must be set and at least 1");
      }
      if (vfDeviceId < 0) {
        throw new IllegalStateException("VF Device ID must be set");
      }
      if (initialVfs >= 0 && initialVfs != totalVfs) {
        throw new IllegalStateException("InitialVFs " + initialVfs + " must equal TotalVFs "
            + totalVfs + " for a PF without VF Migration");
      }
      if (vfOffset == 0) {
        throw new IllegalStateException("First VF Offset 0 would give VF1 the PF's Routing ID");
      }
      if (totalVfs > 1 && vfStride == 0) {
        throw new IllegalStateException("VF Stride 0 with " + totalVfs + " VFs");
      }
      return new SrIovCapability(this);
    }

    private static int u16(String what, int v) {
      if (v < 0 || v > 0xFFFF) {
        throw new IllegalArgumentException(what + " " + v + " does not fit 16 bits");
      }
      return v;
    }
  }
}
