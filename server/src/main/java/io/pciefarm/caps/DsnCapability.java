package io.pciefarm.caps;

import io.pciefarm.config.Capability;
import io.pciefarm.config.LayoutBuilder;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.ExtendedCapabilities;

/**
 * Device Serial Number extended capability (0003h), version 1, 12 bytes: the 64-bit serial in
 * two RO dwords, low half first. The value here is the model's default; the topology straps a
 * unique serial into each instance.
 *
 * @param serial the IEEE EUI-64 serial number
 */
public record DsnCapability(long serial) implements Capability {

  public static DsnCapability of(long serial) {
    return new DsnCapability(serial);
  }

  @Override
  public int id() {
    return CapabilityId.EXT_DSN;
  }

  @Override
  public boolean extended() {
    return true;
  }

  @Override
  public int length() {
    return ExtendedCapabilities.DSN_LENGTH;
  }

  @Override
  public void install(LayoutBuilder layout, int base) {
    layout.value(base + ExtendedCapabilities.DSN_SERIAL_LO, 4, (int) serial);
    layout.value(base + ExtendedCapabilities.DSN_SERIAL_HI, 4, (int) (serial >>> 32));
  }
}
