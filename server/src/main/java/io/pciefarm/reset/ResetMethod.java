package io.pciefarm.reset;

import java.util.Locale;

/**
 * Ways to reset a function, in the order Linux tries them ({@code pci_reset_fn_methods}). The
 * names are those of {@code /sys/bus/pci/devices/.../reset_method}, with Linux's "bus" split
 * into the hot-plug slot reset and the parent bus reset it chooses between.
 */
public enum ResetMethod {
  /** A reset the device model defines (e.g. disable an NVMe controller, then FLR). */
  DEVICE_SPECIFIC,
  /** Function Level Reset through PCI Express Device Control. */
  FLR,
  /** FLR through the Advanced Features capability. */
  AF_FLR,
  /** D0 to D3hot to D0 through PMCSR, when No_Soft_Reset is clear. */
  PM,
  /** Secondary bus reset of the hot-plug port above, with the slot's events masked. */
  SLOT,
  /** Secondary bus reset of the bridge above. */
  BUS,
  /**
   * Power to the slot cut and restored: a cold reset (sticky bits cleared too). Not a Linux
   * reset_method; requested for slots only.
   */
  POWER_CYCLE;

  /** The sysfs spelling, e.g. {@code af_flr}. */
  public String sysfsName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Parses a sysfs spelling.
   *
   * @throws IllegalArgumentException naming the unknown method and the known ones
   */
  public static ResetMethod parse(String name) {
    for (ResetMethod m : values()) {
      if (m.sysfsName().equals(name.trim().toLowerCase(Locale.ROOT))) {
        return m;
      }
    }
    throw new IllegalArgumentException("unknown reset method '" + name
        + "'; known: device_specific, flr, af_flr, pm, slot, bus, power_cycle");
  }
}
