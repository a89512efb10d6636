package io.pciefarm.spec;

/**
 * Device/Port Type field (bits 7:4) of the PCI Express Capabilities register.
 * Whether the function has a type 1 header follows from the type.
 */
public enum PortType {
  ENDPOINT(0x0, false),
  LEGACY_ENDPOINT(0x1, false),
  ROOT_PORT(0x4, true),
  UPSTREAM_PORT(0x5, true),
  DOWNSTREAM_PORT(0x6, true),
  PCIE_TO_PCI_BRIDGE(0x7, true),
  PCI_TO_PCIE_BRIDGE(0x8, true),
  RC_INTEGRATED_ENDPOINT(0x9, false),
  RC_EVENT_COLLECTOR(0xA, false);

  private final int code;
  private final boolean bridge;

  PortType(int code, boolean bridge) {
    this.code = code;
    this.bridge = bridge;
  }

  /** The 4-bit encoding in the PCI Express Capabilities register. */
  public int code() {
    return code;
  }

  /** True when functions of this type have a type 1 (bridge) header. */
  public boolean isBridge() {
    return bridge;
  }

  /** True for ports that have a link below them: only these may implement a slot. */
  public boolean isDownstreamFacing() {
    return this == ROOT_PORT || this == DOWNSTREAM_PORT;
  }

  /** True when the type is valid for a function that sits on a root bus. */
  public boolean livesOnRootBus() {
    return this == ROOT_PORT || this == RC_INTEGRATED_ENDPOINT || this == RC_EVENT_COLLECTOR;
  }
}
