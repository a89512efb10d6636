package io.pciefarm.config;

/**
 * The registers whose writes have side effects beyond storing bits. A layout attaches one of
 * these to an offset with {@link LayoutBuilder#hook}; the instance reports every write that
 * touches it to its {@link RegisterListener}.
 */
public enum Register {
  /** Header Command (memory/IO decode, bus master, INTx disable). */
  COMMAND,
  /** Type 1 Primary/Secondary/Subordinate bus numbers: routing changes. */
  BUS_NUMBERS,
  /** Type 1 Bridge Control: Secondary Bus Reset in bit 6. */
  BRIDGE_CONTROL,
  /** PM Control/Status: power state transitions (D3hot to D0 is the PM reset). */
  PM_CONTROL,
  /** PCI Express Device Control: Initiate Function Level Reset in bit 15. */
  DEVICE_CONTROL,
  /** PCI Express Link Control: link disable and retrain. */
  LINK_CONTROL,
  /** PCI Express Slot Control: every write is a hot-plug controller command. */
  SLOT_CONTROL,
  /** PCI Express Slot Status: clearing events lowers the hot-plug interrupt. */
  SLOT_STATUS,
  /** PCI Express Root Control: CRS/RRS software visibility. */
  ROOT_CONTROL,
  /** Advanced Features Control: Initiate FLR in bit 0. */
  AF_CONTROL,
  /** MSI Message Control: enable. */
  MSI_CONTROL,
  /** MSI Mask Bits (with per-vector masking): unmasking sends a pending message. */
  MSI_MASK,
  /** MSI-X Message Control: enable and function mask. */
  MSIX_CONTROL,
  /** ACS Control: isolation changes regroup the hierarchy. */
  ACS_CONTROL,
  /** SR-IOV Control: VF enable. */
  SRIOV_CONTROL
}
