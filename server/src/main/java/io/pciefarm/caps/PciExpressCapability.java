package io.pciefarm.caps;

import io.pciefarm.config.Capability;
import io.pciefarm.config.LayoutBuilder;
import io.pciefarm.config.Register;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.PortType;
import java.util.Arrays;
import java.util.Optional;

/**
 * PCI Express capability (ID 10h), version 2, 3Ch bytes for every port type. Which bits are
 * writable depends on the port type; fields a type does not implement read 0 and ignore writes.
 *
 * <h2>Device (every type)</h2>
 * <ul>
 *   <li>Capabilities (+2): RO; version 2, the port type, Slot Implemented when a slot is given.
 *   <li>DevCap (+4): RO; Max_Payload_Size Supported, Extended Tag, Role-Based Error Reporting,
 *       FLR capable (endpoints only), Acceptable Latencies "no limit" for (legacy) endpoints.
 *   <li>DevCtl (+8), hooked as {@link Register#DEVICE_CONTROL} (2 bytes): the four error
 *       reporting enables, Relaxed Ordering, Max_Payload_Size, Extended Tag and No Snoop RW for
 *       every type; Max_Read_Request_Size RW only for functions that issue requests of their own
 *       (endpoints and bridges; RO 0 on root ports, switch ports and event collectors). Bit 15 is
 *       an Initiate FLR trigger on endpoints with FLR, Bridge Configuration Retry Enable (RW) on
 *       PCIe-to-PCI bridges, else 0. Phantom Functions and Aux Power PM read 0. Resets to
 *       Relaxed Ordering and No Snoop enabled and, where RW, 512-byte read requests.
 *   <li>DevSta (+A): error bits 3:0 RW1C; Transactions Pending and the rest RO.
 *   <li>DevCap2 (+24) RO / DevCtl2 (+28): Completion Timeout ranges A and B with Value (3:0) and
 *       Disable (4) RW for functions that issue requests (and root ports); ARI Forwarding (5) RW
 *       on downstream-facing ports that support it.
 * </ul>
 *
 * <h2>Link (every type but RC integrated endpoints and event collectors, which have none)</h2>
 * <ul>
 *   <li>LnkCap (+C): RO; speed, width, no ASPM, ASPM Optionality Compliance, DLL Link Active
 *       Reporting (default on for downstream-facing ports), Link Bandwidth Notification on
 *       downstream-facing ports, Clock PM when declared. Port Number is 0: the topology straps
 *       it per instance.
 *   <li>LnkCtl (+10), hooked as {@link Register#LINK_CONTROL} (2 bytes): ASPM Control, Common
 *       Clock, Extended Synch and HAWD RW everywhere; RCB RW on endpoints and bridges (RO 0 on
 *       root ports: 64-byte RCB); Clock PM RW on upstream ports that declare it. Downstream-facing
 *       ports add Link Disable and the bandwidth interrupt enables (RW) and Retrain Link, a
 *       trigger.
 *   <li>LnkSta (+12): RO, maintained by the hierarchy: speed and width reset to the maximum,
 *       Slot Clock Configuration 1, DLL Link Active 0 until the hierarchy reports the link up.
 *       Downstream-facing ports: Link Bandwidth Management and Autonomous Bandwidth Status RW1C.
 *   <li>LnkCap2 (+2C): RO, the speeds up to the maximum. LnkCtl2 (+30): every field RWS except
 *       Selectable De-emphasis; Target Link Speed resets to the maximum. LnkSta2 (+32): RO, with
 *       Link Equalization Request RW1CS from 8 GT/s.
 * </ul>
 *
 * <h2>Slot (root and downstream ports given a {@link SlotCapabilities})</h2>
 * <ul>
 *   <li>SltCap (+14): the slot's {@link SlotCapabilities#encode()}; the topology straps
 *       per-instance physical slot numbers.
 *   <li>SltCtl (+18), hooked as {@link Register#SLOT_CONTROL} (2 bytes): a bit is RW only when the
 *       slot has its feature: ABPE (button), PFDE and PCC (power controller), MRLSCE (MRL
 *       sensor), AIC (attention indicator), PIC (power indicator), PDCE and HPIE (hot-plug
 *       capable), CCIE (hot-plug capable and Command Completed supported), DLLSCE (hot-plug
 *       capable with DLL Link Active Reporting); EIC is a trigger with an interlock. Reset
 *       defaults: indicators present read Off (11b); with a power controller PCC reads 1, slot
 *       power off, as a port comes out of reset with an empty slot (firmware or the topology
 *       powers populated slots); without one PCC is RO 0, power on, which is what pciehp reads.
 *   <li>SltSta (+1A), hooked as {@link Register#SLOT_STATUS} (2 bytes): ABP, PFD, MRLSC, PDC,
 *       CC and DLLSC RW1C; MRL Sensor State, Presence Detect State and Interlock Status RO
 *       (hardware state, reset 0: MRL closed, empty, disengaged).
 *   <li>Downstream-facing ports without a slot: SltSta Presence Detect State reads 1, as the
 *       spec requires.
 * </ul>
 *
 * <h2>Root (root ports and root complex event collectors)</h2>
 * RootCtl (+1C), hooked as {@link Register#ROOT_CONTROL} (2 bytes): the three System Error
 * enables and PME Interrupt Enable RW; RRS Software Visibility Enable RW only when RootCap (+1E)
 * bit 0 says capable (root ports). RootSta (+20): PME Status RW1C, Requester ID and PME Pending
 * RO.
 */
public final class PciExpressCapability implements Capability {
  private static final int[] WIDTHS = {1, 2, 4, 8, 12, 16, 32};

  private final PortType type;
  private final boolean flr;
  private final int maxPayload;
  private final int linkSpeed;
  private final int linkWidth;
  private final boolean dllActiveReporting;
  private final boolean clockPowerManagement;
  private final SlotCapabilities slot;
  private final boolean rrsSoftwareVisibility;
  private final boolean ariForwarding;

  private PciExpressCapability(Builder b) {
    this.type = b.type;
    this.flr = b.flr;
    this.maxPayload = b.maxPayload;
    boolean link = hasLink(b.type);
    this.linkSpeed = link ? b.linkSpeed : 0;
    this.linkWidth = link ? b.linkWidth : 0;
    this.dllActiveReporting = b.dllActiveReporting != null ? b.dllActiveReporting
        : b.type.isDownstreamFacing();
    this.clockPowerManagement = b.clockPowerManagement;
    this.slot = b.slot;
    this.rrsSoftwareVisibility = b.rrsSoftwareVisibility;
    this.ariForwarding = b.ariForwarding;
  }

  /**
   * A builder for a function of {@code type}: no FLR, 256-byte max payload, a 2.5 GT/s x1 link
   * (for types that have one), no slot.
   */
  public static Builder builder(PortType type) {
    return new Builder(type);
  }

  @Override
  public int id() {
    return CapabilityId.EXP;
  }

  @Override
  public int length() {
    return PciExpress.LENGTH_V2;
  }

  public PortType portType() {
    return type;
  }

  public boolean flr() {
    return flr;
  }

  /** Max_Payload_Size Supported, in bytes. */
  public int maxPayload() {
    return maxPayload;
  }

  /** False for RC integrated endpoints and event collectors: their link registers read 0. */
  public boolean hasLink() {
    return hasLink(type);
  }

  /** Max Link Speed encoding, 1 (2.5 GT/s) .. 5 (32 GT/s); 0 without a link. */
  public int linkSpeed() {
    return linkSpeed;
  }

  /** Maximum Link Width in lanes; 0 without a link. */
  public int linkWidth() {
    return linkWidth;
  }

  public boolean dllActiveReporting() {
    return dllActiveReporting;
  }

  public boolean clockPowerManagement() {
    return clockPowerManagement;
  }

  public Optional<SlotCapabilities> slot() {
    return Optional.ofNullable(slot);
  }

  public boolean rrsSoftwareVisibility() {
    return rrsSoftwareVisibility;
  }

  public boolean ariForwarding() {
    return ariForwarding;
  }

  @Override
  public void install(LayoutBuilder layout, int base) {
    layout.value(base + PciExpress.CAPABILITIES, 2, PciExpress.CAP_VERSION_2
        | (type.code() << PciExpress.CAP_PORT_TYPE_SHIFT)
        | (slot != null ? PciExpress.CAP_SLOT_IMPLEMENTED : 0));
    installDevice(layout, base);
    if (hasLink()) {
      installLink(layout, base);
    }
    if (slot != null) {
      installSlot(layout, base);
    } else if (type.isDownstreamFacing()) {
      // Ports not connected to a slot report an adapter as always present.
      layout.value(base + PciExpress.SLOT_STATUS, 2, PciExpress.SLTSTA_PDS);
    }
    if (hasRootRegisters(type)) {
      installRoot(layout, base);
    }
  }

  private void installDevice(LayoutBuilder layout, int base) {
    int devcap = Integer.numberOfTrailingZeros(maxPayload / 128) | PciExpress.DEVCAP_EXT_TAG
        | PciExpress.DEVCAP_RBER | (flr ? PciExpress.DEVCAP_FLR : 0);
    if (type == PortType.ENDPOINT || type == PortType.LEGACY_ENDPOINT) {
      devcap |= (PciExpress.DEVCAP_ACCEPTABLE_LATENCY_UNLIMITED
          << PciExpress.DEVCAP_L0S_ACCEPTABLE_SHIFT)
          | (PciExpress.DEVCAP_ACCEPTABLE_LATENCY_UNLIMITED
          << PciExpress.DEVCAP_L1_ACCEPTABLE_SHIFT);
    }
    layout.value(base + PciExpress.DEVICE_CAPABILITIES, 4, devcap);

    int devctl = base + PciExpress.DEVICE_CONTROL;
    int rw = PciExpress.DEVCTL_CERE | PciExpress.DEVCTL_NFERE | PciExpress.DEVCTL_FERE
        | PciExpress.DEVCTL_URRE | PciExpress.DEVCTL_RELAX_EN | PciExpress.DEVCTL_PAYLOAD_MASK
        | PciExpress.DEVCTL_EXT_TAG | PciExpress.DEVCTL_NOSNOOP_EN;
    int reset = PciExpress.DEVCTL_RELAX_EN | PciExpress.DEVCTL_NOSNOOP_EN;
    if (issuesRequests(type)) {
      rw |= PciExpress.DEVCTL_READRQ_MASK;
      reset |= PciExpress.DEVCTL_READRQ_512;
    }
    layout.value(devctl, 2, reset);
    layout.rw(devctl, 2, rw);
    if (flr) {
      layout.trigger(devctl, 2, PciExpress.DEVCTL_BCR_FLR);
    } else if (type == PortType.PCIE_TO_PCI_BRIDGE) {
      layout.rw(devctl, 2, PciExpress.DEVCTL_BCR_FLR);
    }
    layout.hook(Register.DEVICE_CONTROL, devctl, 2);
    layout.rw1c(base + PciExpress.DEVICE_STATUS, 2, PciExpress.DEVSTA_ERRORS_RW1C);

    int devcap2 = 0;
    int devctl2 = 0;
    if (completionTimeoutApplies(type)) {
      devcap2 |= PciExpress.DEVCAP2_COMPLETION_TIMEOUT_RANGE_A
          | PciExpress.DEVCAP2_COMPLETION_TIMEOUT_RANGE_B
          | PciExpress.DEVCAP2_COMPLETION_TIMEOUT_DISABLE;
      devctl2 |= PciExpress.DEVCTL2_COMPLETION_TIMEOUT_MASK
          | PciExpress.DEVCTL2_COMPLETION_TIMEOUT_DISABLE;
    }
    if (ariForwarding) {
      devcap2 |= PciExpress.DEVCAP2_ARI;
      devctl2 |= PciExpress.DEVCTL2_ARI;
    }
    layout.value(base + PciExpress.DEVICE_CAPABILITIES_2, 4, devcap2);
    layout.rw(base + PciExpress.DEVICE_CONTROL_2, 2, devctl2);
  }

  private void installLink(LayoutBuilder layout, int base) {
    boolean down = type.isDownstreamFacing();
    int lnkcap = linkSpeed | (linkWidth << PciExpress.LNKCAP_WIDTH_SHIFT)
        | PciExpress.LNKCAP_ASPM_OPTIONALITY
        | (clockPowerManagement ? PciExpress.LNKCAP_CLOCK_PM : 0)
        | (dllActiveReporting ? PciExpress.LNKCAP_DLL_ACTIVE_REPORTING : 0)
        | (down ? PciExpress.LNKCAP_LINK_BW_NOTIFICATION : 0);
    layout.value(base + PciExpress.LINK_CAPABILITIES, 4, lnkcap);

    int lnkctl = base + PciExpress.LINK_CONTROL;
    int rw = PciExpress.LNKCTL_ASPM_MASK | PciExpress.LNKCTL_COMMON_CLOCK
        | PciExpress.LNKCTL_EXTENDED_SYNCH | PciExpress.LNKCTL_HAWD;
    if (rcbWritable(type)) {
      rw |= PciExpress.LNKCTL_RCB;
    }
    if (clockPowerManagement) {
      rw |= PciExpress.LNKCTL_CLOCK_PM;
    }
    if (down) {
      rw |= PciExpress.LNKCTL_LINK_DISABLE | PciExpress.LNKCTL_LBMIE | PciExpress.LNKCTL_LABIE;
      layout.trigger(lnkctl, 2, PciExpress.LNKCTL_RETRAIN);
    }
    layout.rw(lnkctl, 2, rw);
    layout.hook(Register.LINK_CONTROL, lnkctl, 2);

    int lnksta = base + PciExpress.LINK_STATUS;
    layout.value(lnksta, 2, linkSpeed | (linkWidth << PciExpress.LNKSTA_WIDTH_SHIFT)
        | PciExpress.LNKSTA_SLOT_CLOCK);
    if (down) {
      layout.rw1c(lnksta, 2, PciExpress.LNKSTA_LBMS | PciExpress.LNKSTA_LABS);
    }

    layout.value(base + PciExpress.LINK_CAPABILITIES_2, 4,
        ((1 << linkSpeed) - 1) << PciExpress.LNKCAP2_SPEEDS_SHIFT);
    int lnkctl2 = base + PciExpress.LINK_CONTROL_2;
    int lnkctl2Rws = 0xFFFF & ~PciExpress.LNKCTL2_SELECTABLE_DEEMPHASIS;
    layout.value(lnkctl2, 2, linkSpeed);
    layout.rw(lnkctl2, 2, lnkctl2Rws);
    layout.sticky(lnkctl2, 2, lnkctl2Rws);
    if (linkSpeed >= PciExpress.LINK_SPEED_8GT) {
      int lnksta2 = base + PciExpress.LINK_STATUS_2;
      layout.rw1c(lnksta2, 2, PciExpress.LNKSTA2_EQUALIZATION_REQUEST);
      layout.sticky(lnksta2, 2, PciExpress.LNKSTA2_EQUALIZATION_REQUEST);
    }
  }

  private void installSlot(LayoutBuilder layout, int base) {
    layout.value(base + PciExpress.SLOT_CAPABILITIES, 4, slot.encode());
    int sltctl = base + PciExpress.SLOT_CONTROL;
    int rw = 0;
    int reset = 0;
    if (slot.attentionButton()) {
      rw |= PciExpress.SLTCTL_ABPE;
    }
    if (slot.powerController()) {
      rw |= PciExpress.SLTCTL_PFDE | PciExpress.SLTCTL_PCC;
      reset |= PciExpress.SLTCTL_PCC;
    }
    if (slot.mrlSensor()) {
      rw |= PciExpress.SLTCTL_MRLSCE;
    }
    if (slot.attentionIndicator()) {
      rw |= PciExpress.SLTCTL_AIC_MASK;
      reset |= PciExpress.SLTCTL_AIC_OFF;
    }
    if (slot.powerIndicator()) {
      rw |= PciExpress.SLTCTL_PIC_MASK;
      reset |= PciExpress.SLTCTL_PIC_OFF;
    }
    if (slot.hotPlugCapable()) {
      rw |= PciExpress.SLTCTL_PDCE | PciExpress.SLTCTL_HPIE;
      if (!slot.noCommandCompleted()) {
        rw |= PciExpress.SLTCTL_CCIE;
      }
      if (dllActiveReporting) {
        rw |= PciExpress.SLTCTL_DLLSCE;
      }
    }
    if (slot.electromechanicalInterlock()) {
      layout.trigger(sltctl, 2, PciExpress.SLTCTL_EIC);
    }
    layout.value(sltctl, 2, reset);
    layout.rw(sltctl, 2, rw);
    layout.hook(Register.SLOT_CONTROL, sltctl, 2);
    int sltsta = base + PciExpress.SLOT_STATUS;
    layout.rw1c(sltsta, 2, PciExpress.SLTSTA_EVENTS_RW1C);
    layout.hook(Register.SLOT_STATUS, sltsta, 2);
  }

  private void installRoot(LayoutBuilder layout, int base) {
    int rootctl = base + PciExpress.ROOT_CONTROL;
    layout.rw(rootctl, 2, PciExpress.RTCTL_SECEE | PciExpress.RTCTL_SENFEE
        | PciExpress.RTCTL_SEFEE | PciExpress.RTCTL_PMEIE
        | (rrsSoftwareVisibility ? PciExpress.RTCTL_RRS_SVE : 0));
    layout.hook(Register.ROOT_CONTROL, rootctl, 2);
    layout.value(base + PciExpress.ROOT_CAPABILITIES, 2,
        rrsSoftwareVisibility ? PciExpress.RTCAP_RRS_SV : 0);
    layout.rw1c(base + PciExpress.ROOT_STATUS, 4, PciExpress.RTSTA_PME);
  }

  static boolean hasLink(PortType type) {
    return type != PortType.RC_INTEGRATED_ENDPOINT && type != PortType.RC_EVENT_COLLECTOR;
  }

  static boolean isEndpoint(PortType type) {
    return type == PortType.ENDPOINT || type == PortType.LEGACY_ENDPOINT
        || type == PortType.RC_INTEGRATED_ENDPOINT;
  }

  private static boolean hasRootRegisters(PortType type) {
    return type == PortType.ROOT_PORT || type == PortType.RC_EVENT_COLLECTOR;
  }

  /** Functions that issue read requests of their own: endpoints and the two bridges. */
  private static boolean issuesRequests(PortType type) {
    return isEndpoint(type) || type == PortType.PCIE_TO_PCI_BRIDGE
        || type == PortType.PCI_TO_PCIE_BRIDGE;
  }

  /** The spec's list for Completion Timeout: root ports, requesting endpoints, PCIe-to-PCI. */
  private static boolean completionTimeoutApplies(PortType type) {
    return isEndpoint(type) || type == PortType.PCIE_TO_PCI_BRIDGE
        || type == PortType.ROOT_PORT;
  }

  /** RCB is set by software on endpoints and bridges; root ports hardwire it, switches lack it. */
  private static boolean rcbWritable(PortType type) {
    return type == PortType.ENDPOINT || type == PortType.LEGACY_ENDPOINT
        || type == PortType.PCIE_TO_PCI_BRIDGE || type == PortType.PCI_TO_PCIE_BRIDGE;
  }

  @Override
  public String toString() {
    return "PciExpressCapability[" + type + (flr ? ", FLR" : "") + ", mps=" + maxPayload
        + (hasLink() ? ", link=" + linkSpeed + "/x" + linkWidth : "")
        + (dllActiveReporting ? ", DLLLA reporting" : "")
        + (slot != null ? ", slot=" + slot : "")
        + (rrsSoftwareVisibility ? ", RRS SV" : "") + (ariForwarding ? ", ARI fwd" : "") + "]";
  }

  /**
   * Collects the options of one PCI Express function model. Options that do not apply to the
   * port type throw {@link IllegalStateException} at once, naming the type.
   */
  public static final class Builder {
    private final PortType type;
    private boolean flr;
    private int maxPayload = 256;
    private int linkSpeed = PciExpress.LINK_SPEED_2_5GT;
    private int linkWidth = 1;
    private Boolean dllActiveReporting;
    private boolean clockPowerManagement;
    private SlotCapabilities slot;
    private boolean rrsSoftwareVisibility;
    private boolean ariForwarding;

    private Builder(PortType type) {
      if (type == null) {
        throw new IllegalArgumentException("port type is required");
      }
      this.type = type;
    }

    /** Function Level Reset capable (DevCap bit 28): endpoints only. */
    public Builder flr(boolean flr) {
      if (flr && !isEndpoint(type)) {
        throw new IllegalStateException("FLR applies to endpoints only, not " + type);
      }
      this.flr = flr;
      return this;
    }

    /** Max_Payload_Size Supported: 128 to 4096 bytes, a power of two. */
    public Builder maxPayload(int bytes) {
      if (bytes < 128 || bytes > 4096 || Integer.bitCount(bytes) != 1) {
        throw new IllegalArgumentException("max payload " + bytes
            + " is not a power of two from 128 to 4096");
      }
      this.maxPayload = bytes;
      return this;
    }

    /**
     * Maximum link speed and width (LnkCap, and LnkSta at reset).
     *
     * @param speed 1..5 for 2.5, 5, 8, 16, 32 GT/s
     * @param width lanes: 1, 2, 4, 8, 12, 16 or 32
     */
    public Builder link(int speed, int width) {
      if (!hasLink(type)) {
        throw new IllegalStateException(type + " has no link");
      }
      if (speed < PciExpress.LINK_SPEED_2_5GT || speed > PciExpress.LINK_SPEED_32GT) {
        throw new IllegalArgumentException("link speed " + speed + " is not 1..5");
      }
      if (Arrays.stream(WIDTHS).noneMatch(w -> w == width)) {
        throw new IllegalArgumentException("link width x" + width
            + " is not 1, 2, 4, 8, 12, 16 or 32");
      }
      this.linkSpeed = speed;
      this.linkWidth = width;
      return this;
    }

    /**
     * DLL Link Active Reporting Capable (LnkCap bit 20): downstream-facing ports only, on by
     * default there. Turning it off on a hot-plug port models pre-1.1 hardware (the spec
     * requires it for hot-plug capable ports); the slot then has no DLLSCE.
     */
    public Builder dllActiveReporting(boolean capable) {
      if (capable && !type.isDownstreamFacing()) {
        throw new IllegalStateException(
            "DLL Link Active Reporting applies to downstream-facing ports, not " + type);
      }
      this.dllActiveReporting = capable;
      return this;
    }

    /** Clock Power Management (LnkCap bit 18, LnkCtl bit 8 RW): upstream ports only. */
    public Builder clockPowerManagement(boolean capable) {
      if (capable && (!hasLink(type) || type.isDownstreamFacing())) {
        throw new IllegalStateException(
            "Clock Power Management applies to upstream ports with a link, not " + type);
      }
      this.clockPowerManagement = capable;
      return this;
    }

    /** The slot below this port; sets Slot Implemented. Root and downstream ports only. */
    public Builder slot(SlotCapabilities slot) {
      if (slot != null && !type.isDownstreamFacing()) {
        throw new IllegalStateException("only root and downstream ports have slots, not "
            + type);
      }
      this.slot = slot;
      return this;
    }

    /** RRS Software Visibility (RootCap bit 0, RootCtl bit 4 RW): root ports only. */
    public Builder rrsSoftwareVisibility(boolean capable) {
      if (capable && type != PortType.ROOT_PORT) {
        throw new IllegalStateException("RRS Software Visibility applies to root ports, not "
            + type);
      }
      this.rrsSoftwareVisibility = capable;
      return this;
    }

    /** ARI Forwarding Supported (DevCap2 bit 5, DevCtl2 bit 5 RW): downstream-facing ports. */
    public Builder ariForwarding(boolean supported) {
      if (supported && !type.isDownstreamFacing()) {
        throw new IllegalStateException("ARI Forwarding applies to downstream-facing ports, not "
            + type);
      }
      this.ariForwarding = supported;
      return this;
    }

    public PciExpressCapability build() {
      return new PciExpressCapability(this);
    }
  }
}
