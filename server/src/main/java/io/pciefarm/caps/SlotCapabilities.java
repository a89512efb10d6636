package io.pciefarm.caps;

import io.pciefarm.spec.PciExpress;

/**
 * What a slot below a root port or switch downstream port has: the Slot Capabilities register
 * as a value. {@link PciExpressCapability} derives the Slot Control masks from it, so a feature
 * the slot lacks has no writable control bit.
 *
 * <p>The Slot Power Limit fields (14:7, 16:15) are left 0. The physical slot number is the
 * model's default; a topology that numbers slots per port straps its own into each instance.
 *
 * @param attentionButton Attention Button Present (ABP, bit 0)
 * @param powerController Power Controller Present (PCP, bit 1)
 * @param mrlSensor MRL Sensor Present (bit 2)
 * @param attentionIndicator Attention Indicator Present (bit 3)
 * @param powerIndicator Power Indicator Present (bit 4)
 * @param hotPlugSurprise Hot-Plug Surprise: an adapter may go without notice (bit 5)
 * @param hotPlugCapable Hot-Plug Capable (bit 6)
 * @param electromechanicalInterlock Electromechanical Interlock Present (bit 17)
 * @param noCommandCompleted No Command Completed Support: Slot Control writes complete at
 *     once and never set Command Completed (bit 18)
 * @param physicalSlot Physical Slot Number, 0..8191 (bits 31:19)
 */
public record SlotCapabilities(boolean attentionButton, boolean powerController,
    boolean mrlSensor, boolean attentionIndicator, boolean powerIndicator,
    boolean hotPlugSurprise, boolean hotPlugCapable, boolean electromechanicalInterlock,
    boolean noCommandCompleted, int physicalSlot) {

  public SlotCapabilities {
    if (physicalSlot < 0 || physicalSlot > PciExpress.SLTCAP_PSN_MAX) {
      throw new IllegalArgumentException("physical slot number " + physicalSlot
          + " is outside 0.." + PciExpress.SLTCAP_PSN_MAX);
    }
  }

  /** A builder starting from a slot with nothing: not hot-plug capable, slot number 0. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The full native hot-plug slot Linux's pciehp drives: attention button, power controller,
   * MRL sensor, attention and power indicators, hot-plug capable, command completion reported.
   */
  public static SlotCapabilities pciehp() {
    return builder().attentionButton(true).powerController(true).mrlSensor(true)
        .attentionIndicator(true).powerIndicator(true).hotPlugCapable(true).build();
  }

  /**
   * A surprise hot-plug slot (as for U.2/NVMe bays): hot-plug capable and surprise, with no
   * button, power controller, sensor or indicators, hence nothing to command and no Command
   * Completed.
   */
  public static SlotCapabilities surpriseOnly() {
    return builder().hotPlugCapable(true).hotPlugSurprise(true).noCommandCompleted(true)
        .build();
  }

  /** A slot that is not hot-plug capable: presence is reported, nothing is controllable. */
  public static SlotCapabilities fixed() {
    return builder().build();
  }

  /** This slot with another physical slot number. */
  public SlotCapabilities withPhysicalSlot(int number) {
    return new SlotCapabilities(attentionButton, powerController, mrlSensor, attentionIndicator,
        powerIndicator, hotPlugSurprise, hotPlugCapable, electromechanicalInterlock,
        noCommandCompleted, number);
  }

  /** The Slot Capabilities register value. */
  public int encode() {
    int v = 0;
    v |= attentionButton ? PciExpress.SLTCAP_ABP : 0;
    v |= powerController ? PciExpress.SLTCAP_PCP : 0;
    v |= mrlSensor ? PciExpress.SLTCAP_MRLSP : 0;
    v |= attentionIndicator ? PciExpress.SLTCAP_AIP : 0;
    v |= powerIndicator ? PciExpress.SLTCAP_PIP : 0;
    v |= hotPlugSurprise ? PciExpress.SLTCAP_HPS : 0;
    v |= hotPlugCapable ? PciExpress.SLTCAP_HPC : 0;
    v |= electromechanicalInterlock ? PciExpress.SLTCAP_EIP : 0;
    v |= noCommandCompleted ? PciExpress.SLTCAP_NCCS : 0;
    return v | (physicalSlot << PciExpress.SLTCAP_PSN_SHIFT);
  }

  /** Builds a {@link SlotCapabilities}; every feature starts absent. */
  public static final class Builder {
    private boolean attentionButton;
    private boolean powerController;
    private boolean mrlSensor;
    private boolean attentionIndicator;
    private boolean powerIndicator;
    private boolean hotPlugSurprise;
    private boolean hotPlugCapable;
    private boolean electromechanicalInterlock;
    private boolean noCommandCompleted;
    private int physicalSlot;

    private Builder() {}

    public Builder attentionButton(boolean v) {
      attentionButton = v;
      return this;
    }

    public Builder powerController(boolean v) {
      powerController = v;
      return this;
    }

    public Builder mrlSensor(boolean v) {
      mrlSensor = v;
      return this;
    }

    public Builder attentionIndicator(boolean v) {
      attentionIndicator = v;
      return this;
    }

    public Builder powerIndicator(boolean v) {
      powerIndicator = v;
      return this;
    }

    public Builder hotPlugSurprise(boolean v) {
      hotPlugSurprise = v;
      return this;
    }

    public Builder hotPlugCapable(boolean v) {
      hotPlugCapable = v;
      return this;
    }

    public Builder electromechanicalInterlock(boolean v) {
      electromechanicalInterlock = v;
      return this;
    }

    public Builder noCommandCompleted(boolean v) {
      noCommandCompleted = v;
      return this;
    }

    public Builder physicalSlot(int number) {
      physicalSlot = number;
      return this;
    }

    public SlotCapabilities build() {
      return new SlotCapabilities(attentionButton, powerController, mrlSensor,
          attentionIndicator, powerIndicator, hotPlugSurprise, hotPlugCapable,
          electromechanicalInterlock, noCommandCompleted, physicalSlot);
    }
  }
}
