package io.pciefarm.caps;

import io.pciefarm.config.Capability;
import io.pciefarm.config.LayoutBuilder;
import io.pciefarm.config.Register;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.PowerManagement;

/**
 * PCI Power Management capability (ID 01h), 8 bytes.
 *
 * <ul>
 *   <li>PMC (+2): read-only; version, D1/D2 support and PME_Support as the model declares.
 *   <li>PMCSR (+4), hooked as {@link Register#PM_CONTROL} (2 bytes): PowerState (1:0) RW;
 *       No_Soft_Reset (3) RO as the model declares; PME_En (8) RWS and PME_Status (15) RW1CS
 *       when the function can generate PME from any state, otherwise both read 0;
 *       Data_Select/Data_Scale and every reserved bit read 0.
 *   <li>PMCSR_BSE (+6) and Data (+7): read 0 (no bridge extensions, no power data).
 * </ul>
 *
 * <p>The masks let software store D1 or D2 even when they are unsupported; the spec says such a
 * write completes but changes nothing, so the listener of {@code PM_CONTROL} restores the old
 * state (see {@link #supportsState}).
 */
public final class PowerManagementCapability implements Capability {
  private final int version;
  private final boolean d1;
  private final boolean d2;
  private final int pmeSupport;
  private final boolean noSoftReset;

  private PowerManagementCapability(Builder b) {
    this.version = b.version;
    this.d1 = b.d1;
    this.d2 = b.d2;
    this.pmeSupport = b.pmeSupport;
    this.noSoftReset = b.noSoftReset;
  }

  /** A builder for a PM 1.2 function with D0/D3hot only, no PME, No_Soft_Reset clear. */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public int id() {
    return CapabilityId.PM;
  }

  @Override
  public int length() {
    return PowerManagement.LENGTH;
  }

  /** The PMC version field: 3 is PCI PM 1.2. */
  public int pmcVersion() {
    return version;
  }

  public boolean d1() {
    return d1;
  }

  public boolean d2() {
    return d2;
  }

  /** PME_Support as five bits: D0, D1, D2, D3hot, D3cold from bit 0 up. */
  public int pmeSupport() {
    return pmeSupport;
  }

  public boolean noSoftReset() {
    return noSoftReset;
  }

  /** True when software may move the function to {@code state} (0..3): D0, D3hot always. */
  public boolean supportsState(int state) {
    return switch (state) {
      case PowerManagement.PMCSR_D0, PowerManagement.PMCSR_D3HOT -> true;
      case PowerManagement.PMCSR_D1 -> d1;
      case PowerManagement.PMCSR_D2 -> d2;
      default -> false;
    };
  }

  /** The PMC register value. */
  public int pmc() {
    return version | (d1 ? PowerManagement.PMC_D1 : 0) | (d2 ? PowerManagement.PMC_D2 : 0)
        | (pmeSupport << PowerManagement.PMC_PME_SUPPORT_SHIFT);
  }

  @Override
  public void install(LayoutBuilder layout, int base) {
    layout.value(base + PowerManagement.PMC, 2, pmc());
    int pmcsr = base + PowerManagement.PMCSR;
    layout.value(pmcsr, 2, noSoftReset ? PowerManagement.PMCSR_NO_SOFT_RESET : 0);
    layout.rw(pmcsr, 2, PowerManagement.PMCSR_STATE_MASK);
    if (pmeSupport != 0) {
      // PME context must survive a warm reset so a wake event is not lost across it.
      layout.rw(pmcsr, 2, PowerManagement.PMCSR_PME_ENABLE);
      layout.rw1c(pmcsr, 2, PowerManagement.PMCSR_PME_STATUS);
      layout.sticky(pmcsr, 2, PowerManagement.PMCSR_PME_ENABLE | PowerManagement.PMCSR_PME_STATUS);
    }
    layout.value(base + PowerManagement.PMCSR_BSE, 1, 0);
    layout.value(base + PowerManagement.DATA, 1, 0);
    layout.hook(Register.PM_CONTROL, pmcsr, 2);
  }

  @Override
  public String toString() {
    return String.format("PowerManagementCapability[version=%d, d1=%b, d2=%b, pme=0x%02x, "
        + "noSoftReset=%b]", version, d1, d2, pmeSupport, noSoftReset);
  }

  /** Collects the model's power management properties. */
  public static final class Builder {
    private int version = PowerManagement.PMC_VERSION_1_2;
    private boolean d1;
    private boolean d2;
    private int pmeSupport;
    private boolean noSoftReset;

    private Builder() {}

    /** PMC version: 1 (PM 1.0), 2 (PM 1.1) or 3 (PM 1.2, required by PCI Express). */
    public Builder version(int version) {
      if (version < 1 || version > 3) {
        throw new IllegalArgumentException("PMC version " + version + " is not 1, 2 or 3");
      }
      this.version = version;
      return this;
    }

    public Builder d1(boolean d1) {
      this.d1 = d1;
      return this;
    }

    public Builder d2(boolean d2) {
      this.d2 = d2;
      return this;
    }

    /**
     * States the function can signal PME from, as five bits: D0 (bit 0), D1, D2, D3hot,
     * D3cold (bit 4); see {@code PowerManagement.PME_SUPPORT_*}.
     */
    public Builder pmeSupport(int mask) {
      if ((mask & ~PowerManagement.PME_SUPPORT_MASK) != 0) {
        throw new IllegalArgumentException(String.format(
            "PME support 0x%x has bits outside the five states D0..D3cold", mask));
      }
      this.pmeSupport = mask;
      return this;
    }

    /** No_Soft_Reset: D3hot to D0 keeps the function's state (no PM reset). */
    public Builder noSoftReset(boolean noSoftReset) {
      this.noSoftReset = noSoftReset;
      return this;
    }

    /** @throws IllegalStateException if PME is claimed from D1 or D2 without that state */
    public PowerManagementCapability build() {
      if ((pmeSupport & PowerManagement.PME_SUPPORT_D1) != 0 && !d1) {
        throw new IllegalStateException("PME from D1 needs D1 support");
      }
      if ((pmeSupport & PowerManagement.PME_SUPPORT_D2) != 0 && !d2) {
        throw new IllegalStateException("PME from D2 needs D2 support");
      }
      return new PowerManagementCapability(this);
    }
  }
}
