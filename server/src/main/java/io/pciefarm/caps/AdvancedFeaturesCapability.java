package io.pciefarm.caps;

import io.pciefarm.config.Capability;
import io.pciefarm.config.LayoutBuilder;
import io.pciefarm.config.Register;
import io.pciefarm.spec.AdvancedFeatures;
import io.pciefarm.spec.CapabilityId;

/**
 * Advanced Features capability (ID 13h), 6 bytes: FLR for conventional PCI functions.
 *
 * <ul>
 *   <li>Length (+2): RO 06h.
 *   <li>AF Capabilities (+3): RO; TP (0) and FLR (1) as the model declares.
 *   <li>AF Control (+4): when FLR is capable, hooked as {@link Register#AF_CONTROL} (1 byte)
 *       with Initiate FLR (0) a trigger: writing 1 reaches the listener and reads back 0.
 *       Without FLR the byte reads 0 and is not hooked, so no listener can mistake a write for
 *       a reset request.
 *   <li>AF Status (+5): TP (0) RO, set by the function while transactions are pending.
 * </ul>
 * Linux uses AF FLR only when both TP and FLR are capable.
 *
 * @param transactionsPending the function reports Transactions Pending in AF Status
 * @param flr the function supports Initiate FLR
 */
public record AdvancedFeaturesCapability(boolean transactionsPending, boolean flr)
    implements Capability {

  public static AdvancedFeaturesCapability of(boolean transactionsPending, boolean flr) {
    return new AdvancedFeaturesCapability(transactionsPending, flr);
  }

  @Override
  public int id() {
    return CapabilityId.AF;
  }

  @Override
  public int length() {
    return AdvancedFeatures.LENGTH;
  }

  @Override
  public void install(LayoutBuilder layout, int base) {
    layout.value(base + AdvancedFeatures.LENGTH_FIELD, 1, AdvancedFeatures.LENGTH);
    layout.value(base + AdvancedFeatures.CAPABILITIES, 1,
        (transactionsPending ? AdvancedFeatures.CAP_TP : 0)
            | (flr ? AdvancedFeatures.CAP_FLR : 0));
    if (flr) {
      int control = base + AdvancedFeatures.CONTROL;
      layout.trigger(control, 1, AdvancedFeatures.CONTROL_INITIATE_FLR);
      layout.hook(Register.AF_CONTROL, control, 1);
    }
  }
}
