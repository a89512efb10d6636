package io.pciefarm.caps;

import io.pciefarm.config.Capability;
import io.pciefarm.config.LayoutBuilder;
import io.pciefarm.spec.BridgeSubsystem;
import io.pciefarm.spec.CapabilityId;

/**
 * Subsystem ID and Subsystem Vendor ID capability for bridges (ID 0Dh), 8 bytes: the type 1
 * header has no subsystem registers, so bridges carry them here. Every byte is RO; +2..+3 are
 * reserved and read 0.
 *
 * @param subsystemVendor Subsystem Vendor ID (+4), 16 bits
 * @param subsystemId Subsystem ID (+6), 16 bits
 */
public record BridgeSubsystemCapability(int subsystemVendor, int subsystemId)
    implements Capability {

  public BridgeSubsystemCapability {
    if ((subsystemVendor & ~0xFFFF) != 0 || (subsystemId & ~0xFFFF) != 0) {
      throw new IllegalArgumentException(String.format(
          "subsystem vendor 0x%x / id 0x%x do not fit 16 bits", subsystemVendor, subsystemId));
    }
  }

  public static BridgeSubsystemCapability of(int subsystemVendor, int subsystemId) {
    return new BridgeSubsystemCapability(subsystemVendor, subsystemId);
  }

  @Override
  public int id() {
    return CapabilityId.BRIDGE_SUBSYSTEM;
  }

  @Override
  public int length() {
    return BridgeSubsystem.LENGTH;
  }

  @Override
  public void install(LayoutBuilder layout, int base) {
    layout.value(base + BridgeSubsystem.SUBSYSTEM_VENDOR_ID, 2, subsystemVendor);
    layout.value(base + BridgeSubsystem.SUBSYSTEM_ID, 2, subsystemId);
  }
}
