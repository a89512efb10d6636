package io.pciefarm.caps;

import io.pciefarm.config.Capability;
import io.pciefarm.config.LayoutBuilder;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.VendorSpecific;
import java.util.Arrays;

/**
 * Vendor-specific capability (ID 09h): the length byte (+2) holds 3 plus the payload size, and
 * the payload follows from +3. Every byte is RO.
 */
public final class VendorSpecificCapability implements Capability {
  private final byte[] payload;

  private VendorSpecificCapability(byte[] payload) {
    this.payload = payload;
  }

  /**
   * @param payload vendor-defined bytes, copied; at most 252 so the length fits its byte
   */
  public static VendorSpecificCapability of(byte[] payload) {
    if (payload.length + VendorSpecific.DATA > VendorSpecific.MAX_LENGTH) {
      throw new IllegalArgumentException("vendor-specific payload of " + payload.length
          + " bytes does not fit the 8-bit length field");
    }
    return new VendorSpecificCapability(payload.clone());
  }

  /** A copy of the payload. */
  public byte[] payload() {
    return payload.clone();
  }

  @Override
  public int id() {
    return CapabilityId.VENDOR;
  }

  @Override
  public int length() {
    return VendorSpecific.DATA + payload.length;
  }

  @Override
  public void install(LayoutBuilder layout, int base) {
    layout.value(base + VendorSpecific.LENGTH_FIELD, 1, length());
    for (int i = 0; i < payload.length; i++) {
      layout.value(base + VendorSpecific.DATA + i, 1, payload[i] & 0xFF);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VendorSpecificCapability v && Arrays.equals(payload, v.payload);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(payload);
  }

  @Override
  public String toString() {
    return "VendorSpecificCapability[" + payload.length + " bytes]";
  }
}
