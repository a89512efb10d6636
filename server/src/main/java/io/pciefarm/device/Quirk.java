package io.pciefarm.device;

/**
 * Ways a real device departs from the spec. Each is a named, explicit property of a model that
 * the reset and hot-plug engines act on; none is hidden in code paths keyed on IDs.
 */
public enum Quirk {
  /**
   * Advertises a PM reset (PMCSR No_Soft_Reset = 0) but a D3hot to D0 transition resets
   * nothing: the classic GPU case that makes Linux fall back to a bus reset.
   */
  PM_RESET_NO_EFFECT,
  /** Never becomes ready after an FLR: it answers Retry Status until a bus or cold reset. */
  NEVER_READY_AFTER_FLR,
  /** Misbehaves when its link is reset: Linux marks it PCI_DEV_FLAGS_NO_BUS_RESET. */
  NO_BUS_RESET,
  /**
   * Has a device-specific reset the host driver performs (for example an NVMe controller that
   * must be disabled before its FLR, as Linux's {@code nvme_disable_and_flr}).
   */
  DEVICE_SPECIFIC_RESET
}
