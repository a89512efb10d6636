package io.pciefarm.caps;

import io.pciefarm.config.Capability;
import io.pciefarm.config.LayoutBuilder;
import io.pciefarm.config.Register;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.ExtendedCapabilities;

/**
 * Access Control Services extended capability (000Dh), version 1.
 *
 * <ul>
 *   <li>ACS Capability (+4): RO, the model's bits (SV, TB, RR, CR, UF, EC, DT) and, with Egress
 *       Control, the Egress Control Vector Size in bits 15:8.
 *   <li>ACS Control (+6), hooked as {@link Register#ACS_CONTROL} (2 bytes): each control bit is
 *       RW exactly when its capability bit is set, else reads 0; all reset to 0 (no isolation
 *       until software enables it, which is why Linux groups by what it can enable).
 *   <li>Egress Control Vector (+8, with EC only): RW for the implemented bits, in as many dwords
 *       as the vector size needs; the structure is 8 bytes without it.
 * </ul>
 *
 * @param capabilityBits the ACS Capability register: bits 6:0 and, with EC, the vector size
 *     in 15:8 (0 meaning 256)
 */
public record AcsCapability(int capabilityBits) implements Capability {

  public AcsCapability {
    int allowed = ExtendedCapabilities.ACS_CAPABILITY_BITS
        | ExtendedCapabilities.ACS_EGRESS_VECTOR_SIZE_MASK;
    if ((capabilityBits & ~allowed) != 0) {
      throw new IllegalArgumentException(String.format(
          "ACS capability 0x%x has bits outside 6:0 and the vector size 15:8", capabilityBits));
    }
    if ((capabilityBits & ExtendedCapabilities.ACS_EC) == 0
        && (capabilityBits & ExtendedCapabilities.ACS_EGRESS_VECTOR_SIZE_MASK) != 0) {
      throw new IllegalArgumentException(String.format(
          "ACS capability 0x%x gives an egress vector size without Egress Control",
          capabilityBits));
    }
  }

  public static AcsCapability of(int capabilityBits) {
    return new AcsCapability(capabilityBits);
  }

  /** The control bits software can set: the implemented capabilities. */
  public int controlBits() {
    return capabilityBits & ExtendedCapabilities.ACS_CAPABILITY_BITS;
  }

  /** Bits in the Egress Control Vector: 0 without Egress Control. */
  public int egressVectorBits() {
    if ((capabilityBits & ExtendedCapabilities.ACS_EC) == 0) {
      return 0;
    }
    int size = (capabilityBits & ExtendedCapabilities.ACS_EGRESS_VECTOR_SIZE_MASK)
        >>> ExtendedCapabilities.ACS_EGRESS_VECTOR_SIZE_SHIFT;
    return size == 0 ? 256 : size;
  }

  @Override
  public int id() {
    return CapabilityId.EXT_ACS;
  }

  @Override
  public boolean extended() {
    return true;
  }

  @Override
  public int length() {
    return ExtendedCapabilities.ACS_LENGTH + 4 * ((egressVectorBits() + 31) / 32);
  }

  @Override
  public void install(LayoutBuilder layout, int base) {
    layout.value(base + ExtendedCapabilities.ACS_CAPABILITY, 2, capabilityBits);
    int control = base + ExtendedCapabilities.ACS_CONTROL;
    layout.rw(control, 2, controlBits());
    layout.hook(Register.ACS_CONTROL, control, 2);
    int bits = egressVectorBits();
    for (int i = 0; bits > 0; i++, bits -= 32) {
      layout.rw(base + ExtendedCapabilities.ACS_EGRESS_VECTOR + 4 * i, 4,
          bits >= 32 ? -1 : (1 << bits) - 1);
    }
  }
}
