package io.pciefarm.spec;

/** PCI Power Management capability (ID 01h): offsets from the capability and bits. */
public final class PowerManagement {
  private PowerManagement() {}

  public static final int LENGTH = 8;
  public static final int PMC = 0x02;
  public static final int PMCSR = 0x04;
  public static final int PMCSR_BSE = 0x06;
  public static final int DATA = 0x07;

  /** PMC: version 3 (PM 1.2), D1/D2 support, PME support from D0, D3hot, D3cold. */
  public static final int PMC_VERSION_MASK = 0x0007;
  public static final int PMC_D1 = 1 << 9;
  public static final int PMC_D2 = 1 << 10;
  public static final int PMC_PME_D0 = 1 << 11;
  public static final int PMC_PME_D3HOT = 1 << 14;
  public static final int PMC_PME_D3COLD = 1 << 15;

  /** PMCSR bits. */
  public static final int PMCSR_STATE_MASK = 0x0003;
  public static final int PMCSR_D0 = 0;
  public static final int PMCSR_D3HOT = 3;
  public static final int PMCSR_NO_SOFT_RESET = 1 << 3;
  public static final int PMCSR_PME_ENABLE = 1 << 8;
  public static final int PMCSR_PME_STATUS = 1 << 15;

  /** PMC: PME_Support field (bits 15:11), one bit per state D0, D1, D2, D3hot, D3cold. */
  public static final int PMC_PME_SUPPORT_SHIFT = 11;
  public static final int PMC_PME_D1 = 1 << 12;
  public static final int PMC_PME_D2 = 1 << 13;
  /** PMC version 011b: PCI Power Management 1.2, the version PCI Express requires. */
  public static final int PMC_VERSION_1_2 = 3;

  /** Bits of the five-bit PME_Support field, before shifting into PMC. */
  public static final int PME_SUPPORT_D0 = 1 << 0;
  public static final int PME_SUPPORT_D1 = 1 << 1;
  public static final int PME_SUPPORT_D2 = 1 << 2;
  public static final int PME_SUPPORT_D3HOT = 1 << 3;
  public static final int PME_SUPPORT_D3COLD = 1 << 4;
  public static final int PME_SUPPORT_MASK = 0x1F;

  /** PMCSR power states D1 and D2 (optional). */
  public static final int PMCSR_D1 = 1;
  public static final int PMCSR_D2 = 2;
}
