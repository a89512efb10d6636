package io.pciefarm.caps;

import io.pciefarm.config.Capability;
import io.pciefarm.config.LayoutBuilder;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.ExtendedCapabilities;

/**
 * Alternative Routing-ID Interpretation extended capability (000Eh), version 1, 8 bytes.
 * ARI Capability (+4): RO, Next Function Number in bits 15:8 (the next function of the device in
 * the ARI chain; 0 ends it); no MFVC or ACS function groups. ARI Control (+6): RO 0, since the
 * function groups it controls are not implemented.
 *
 * @param nextFunction Next Function Number, 0..255
 */
public record AriCapability(int nextFunction) implements Capability {

  public AriCapability {
    if (nextFunction < 0 || nextFunction > 255) {
      throw new IllegalArgumentException("ARI next function " + nextFunction
          + " is outside 0..255");
    }
  }

  public static AriCapability of(int nextFunction) {
    return new AriCapability(nextFunction);
  }

  @Override
  public int id() {
    return CapabilityId.EXT_ARI;
  }

  @Override
  public boolean extended() {
    return true;
  }

  @Override
  public int length() {
    return ExtendedCapabilities.ARI_LENGTH;
  }

  @Override
  public void install(LayoutBuilder layout, int base) {
    layout.value(base + ExtendedCapabilities.ARI_CAPABILITY, 2,
        nextFunction << ExtendedCapabilities.ARI_NEXT_FUNCTION_SHIFT);
  }
}
