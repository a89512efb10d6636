package io.pciefarm.hotplug;

import io.pciefarm.device.DeviceModel;
import io.pciefarm.hotplug.HotPlugException.Kind;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.time.FarmClock;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciFunction;
import io.pciefarm.topology.SlotHardware;
import io.pciefarm.topology.TopologyException;

/**
 * The native hot-plug controller of one slot, as pciehp drives it.
 *
 * <ul>
 *   <li>Every Slot Control write is a command: the power controller and indicators follow it,
 *       and Command Completed is set once the command has taken its latency (never, on a slot
 *       that declares No Command Completed Support).
 *   <li>Slot Status events latch (RW1C); presence, MRL state and interlock status reflect the
 *       slot.
 *   <li>Slot power is on when the power controller (if any) is commanded on and has not
 *       faulted, the retention latch is closed (an open MRL removes power automatically) and
 *       the farm has not cut the supply. Every change of it is reported, whatever caused it.
 *   <li>The interrupt is a level, HPIE and any enabled status bit; {@link PortInterrupt}
 *       delivers it: a rising edge sends an MSI-X or MSI message when enabled (held pending
 *       while masked), else it is INTx. Nothing is sent again until a new rising edge.
 *   <li>A reset of the port itself returns Slot Control to its defaults but not the slot:
 *       presence, MRL state and interlock are physical and survive it.
 * </ul>
 * Slot operations take this controller's lock; config reads never do.
 */
public final class SlotController implements SlotHardware {
  private final HotPlug owner;
  private final PciFunction port;
  private final Hierarchy hierarchy;
  private final int slot;
  private final int slotControl;
  private final int slotStatus;
  private final int capabilities;
  private final boolean dllReporting;
  private final PortInterrupt interrupt;
  private DeviceModel card;
  private boolean mrlOpen;
  private boolean interlock;
  /** A power fault cut power; software turning power off acknowledges it. */
  private boolean faulted;
  /** The farm cut the slot's supply from outside (a power cycle). */
  private boolean supplyCut;
  /** Slot power as last reported. */
  private boolean powerOn;
  /** A card is being pulled: its link loss is part of one event, interrupting once at the end. */
  private boolean removing;
  private FarmClock.Cancellable pendingCommand;

  SlotController(HotPlug owner, PciFunction port) {
    this.owner = owner;
    this.port = port;
    this.hierarchy = port.hierarchy();
    int exp = port.model().layout().capability(CapabilityId.EXP);
    this.slotControl = exp + PciExpress.SLOT_CONTROL;
    this.slotStatus = exp + PciExpress.SLOT_STATUS;
    this.capabilities = port.config().read(exp + PciExpress.SLOT_CAPABILITIES, 4);
    this.slot = capabilities >>> PciExpress.SLTCAP_PSN_SHIFT;
    this.dllReporting = (port.config().read(exp + PciExpress.LINK_CAPABILITIES, 4)
        & PciExpress.LNKCAP_DLL_ACTIVE_REPORTING) != 0;
    if (!port.secondary().functions().isEmpty()) {
      card = port.secondary().functions().get(0).deviceModel();
    }
    this.interrupt = new PortInterrupt(port);
    this.powerOn = powered();
  }

  public int slot() {
    return slot;
  }

  public PciFunction port() {
    return port;
  }

  private boolean has(int capability) {
    return (capabilities & capability) != 0;
  }

  private int control() {
    return port.config().read(slotControl, 2);
  }

  private void raise(int statusBits) {
    port.config().hardwareUpdate(slotStatus, 2, 0, statusBits);
  }

  /**
   * Power applied to the slot: per Power Controller Control when there is a power controller
   * and it has not faulted; never with the latch open or the supply cut.
   */
  private boolean powered() {
    boolean controller = !has(PciExpress.SLTCAP_PCP)
        || ((control() & PciExpress.SLTCTL_PCC) == 0 && !faulted);
    return controller && !mrlOpen && !supplyCut;
  }

  /**
   * Makes the card's power follow the slot's and reports a change. Power on brings the link up;
   * power off takes the card down, unless {@code cutCard} is false because a cold reset already
   * did.
   */
  private void reconcilePower(boolean cutCard) {
    boolean on = powered();
    if (on == powerOn) {
      return;
    }
    powerOn = on;
    owner.observer().powerChanged(port, slot, on);
    if (card == null) {
      return;
    }
    if (on) {
      hierarchy.resetEngine().powerOn(port);
    } else if (cutCard) {
      hierarchy.resetEngine().powerOff(port);
    }
  }

  @Override
  public synchronized boolean linkPossible() {
    return card != null && powered();
  }

  public synchronized SlotState state() {
    int ctl = control();
    return new SlotState(slot, port.describe(), card == null ? "" : card.name(), card != null,
        powered(), port.linkUp(), mrlOpen, interlock,
        Indicator.decode(ctl >> PciExpress.SLTCTL_AIC_SHIFT),
        Indicator.decode(ctl >> PciExpress.SLTCTL_PIC_SHIFT), ctl,
        port.config().read(slotStatus, 2));
  }

  // ---- what software does through the port's registers ----

  @Override
  public synchronized void slotControlWritten(int oldValue, int newValue, int written) {
    int changed = oldValue ^ newValue;
    if ((newValue & PciExpress.SLTCTL_PCC) != 0) {
      faulted = false; // software turning power off acknowledges a power fault
    }
    reconcilePower(true);
    if ((changed & (PciExpress.SLTCTL_AIC_MASK | PciExpress.SLTCTL_PIC_MASK)) != 0) {
      owner.observer().indicatorsChanged(port, slot,
          Indicator.decode(newValue >> PciExpress.SLTCTL_AIC_SHIFT),
          Indicator.decode(newValue >> PciExpress.SLTCTL_PIC_SHIFT));
    }
    if (has(PciExpress.SLTCAP_EIP) && (written & PciExpress.SLTCTL_EIC) != 0) {
      interlock = !interlock;
      port.config().hardwareUpdate(slotStatus, 2, PciExpress.SLTSTA_EIS,
          interlock ? PciExpress.SLTSTA_EIS : 0);
      owner.observer().interlockChanged(port, slot, interlock);
    }
    if (!has(PciExpress.SLTCAP_NCCS)) {
      if (pendingCommand != null) {
        pendingCommand.cancel();
      }
      pendingCommand = hierarchy.timeBase().clock().schedule(
          hierarchy.scaledNanos(owner.commandLatency()), this::commandCompleted);
    }
    updateInterrupt();
  }

  private synchronized void commandCompleted() {
    pendingCommand = null;
    raise(PciExpress.SLTSTA_CC);
    owner.observer().commandCompleted(port, slot);
    updateInterrupt();
  }

  @Override
  public synchronized void slotStatusWritten() {
    updateInterrupt();
  }

  @Override
  public synchronized void interruptControlWritten() {
    report(interrupt.controlsChanged());
  }

  /**
   * Software wrote the Mask bit of the port's MSI-X table entry {@code entry} (Vector Control).
   * The table lives in BAR memory, which the farm does not serve, so only the engine reaches it.
   */
  synchronized void msixVectorMask(int entry, boolean masked) {
    report(interrupt.msixMask(entry, masked));
  }

  synchronized boolean msixVectorMasked(int entry) {
    return interrupt.msixMasked(entry);
  }

  /** The Pending Bit Array bit of MSI-X table entry {@code entry}. */
  synchronized boolean msixVectorPending(int entry) {
    return interrupt.msixPending(entry);
  }

  /** True while the port asserts INTx for its hot-plug interrupt. */
  synchronized boolean intxAsserted() {
    return interrupt.intxAsserted();
  }

  @Override
  public synchronized void linkChanged(boolean up) {
    if (dllReporting) {
      raise(PciExpress.SLTSTA_DLLSC);
    }
    if (!removing) {
      updateInterrupt();
    }
  }

  /**
   * Hardware whose presence detect follows the link sees the card vanish while the link is in
   * reset: Presence Detect Changed latches, as it does on real ports.
   */
  @Override
  public synchronized void secondaryResetAsserted() {
    if (card != null) {
      raise(PciExpress.SLTSTA_PDC);
      updateInterrupt();
    }
  }

  @Override
  public synchronized void portReset(boolean cold) {
    if (pendingCommand != null) {
      pendingCommand.cancel(); // the command in flight is lost with the port's state
      pendingCommand = null;
    }
    interrupt.reset();
    // Events latched while the port was in reset (its link going down) are lost with it; what
    // the slot physically is, is not.
    port.config().hardwareUpdate(slotStatus, 2, PciExpress.SLTSTA_EVENTS_RW1C
        | PciExpress.SLTSTA_PDS | PciExpress.SLTSTA_MRLSS | PciExpress.SLTSTA_EIS,
        (card != null ? PciExpress.SLTSTA_PDS : 0) | (mrlOpen ? PciExpress.SLTSTA_MRLSS : 0)
        | (interlock ? PciExpress.SLTSTA_EIS : 0));
    if ((control() & PciExpress.SLTCTL_PCC) != 0) {
      faulted = false;
    }
    reconcilePower(!cold);
  }

  @Override
  public synchronized void supplyCut(boolean cut) {
    supplyCut = cut;
    reconcilePower(true);
  }

  // ---- what a person at the rack does ----

  synchronized void insert(DeviceModel model, String label) {
    requireHotPlug("inserted");
    if (card != null) {
      throw new HotPlugException(Kind.WRONG_STATE, "slot " + slot + " already holds a "
          + card.name() + "; remove it first");
    }
    try {
      hierarchy.plug(port, model, label);
    } catch (TopologyException e) {
      throw new HotPlugException(Kind.BAD_CARD, e.getMessage());
    }
    card = model;
    raise(PciExpress.SLTSTA_PDS | PciExpress.SLTSTA_PDC);
    owner.observer().presenceChanged(port, slot, true, model.name(), false);
    if (linkPossible()) {
      hierarchy.resetEngine().powerOn(port);
    }
    updateInterrupt();
  }

  synchronized void remove() {
    requireHotPlug("removed");
    if (card == null) {
      throw new HotPlugException(Kind.WRONG_STATE, "slot " + slot + " is empty");
    }
    if (interlock) {
      throw new HotPlugException(Kind.WRONG_STATE, "slot " + slot
          + "'s electromechanical interlock holds the card; release it first");
    }
    boolean surprise = port.linkUp();
    String model = card.name();
    card = null;
    hierarchy.unplug(port); // republishes routing without the card
    port.config().hardwareUpdate(slotStatus, 2, PciExpress.SLTSTA_PDS, PciExpress.SLTSTA_PDC);
    // Presence and link go together: one level change, seen after both are reported.
    removing = true;
    try {
      hierarchy.resetEngine().linkLost(port); // and, if the link was up, without it
    } finally {
      removing = false;
    }
    owner.observer().presenceChanged(port, slot, false, model, surprise);
    updateInterrupt();
  }

  synchronized void pressAttentionButton() {
    require(PciExpress.SLTCAP_ABP, "an attention button");
    raise(PciExpress.SLTSTA_ABP);
    owner.observer().attentionButton(port, slot);
    updateInterrupt();
  }

  synchronized void mrl(boolean open) {
    require(PciExpress.SLTCAP_MRLSP, "an MRL sensor");
    if (mrlOpen == open) {
      return;
    }
    mrlOpen = open;
    port.config().hardwareUpdate(slotStatus, 2, PciExpress.SLTSTA_MRLSS,
        (open ? PciExpress.SLTSTA_MRLSS : 0) | PciExpress.SLTSTA_MRLSC);
    owner.observer().mrlChanged(port, slot, open);
    // An open latch removes power; closing it restores what Slot Control asks for.
    reconcilePower(true);
    updateInterrupt();
  }

  synchronized void powerFault() {
    require(PciExpress.SLTCAP_PCP, "a power controller");
    // A fault trips a powered slot off; on an unpowered one it is only reported.
    faulted = powered();
    raise(PciExpress.SLTSTA_PFD);
    owner.observer().powerFault(port, slot);
    reconcilePower(true);
    updateInterrupt();
  }

  private void require(int capability, String what) {
    if (!has(capability)) {
      throw new HotPlugException(Kind.WRONG_STATE, "slot " + slot + " has no " + what);
    }
  }

  private void requireHotPlug(String done) {
    if (!has(PciExpress.SLTCAP_HPC)) {
      throw new HotPlugException(Kind.WRONG_STATE, "slot " + slot + " is not hot-plug capable"
          + " (Slot Capabilities Hot-Plug Capable is clear): a card cannot be " + done
          + " while the hierarchy runs");
    }
  }

  /** Recomputes the interrupt level; {@link PortInterrupt} signals a rising edge. */
  private void updateInterrupt() {
    int ctl = control();
    int sta = port.config().read(slotStatus, 2);
    int pending = (sta & PciExpress.SLTSTA_ABP) != 0 && (ctl & PciExpress.SLTCTL_ABPE) != 0
        || (sta & PciExpress.SLTSTA_PFD) != 0 && (ctl & PciExpress.SLTCTL_PFDE) != 0
        || (sta & PciExpress.SLTSTA_MRLSC) != 0 && (ctl & PciExpress.SLTCTL_MRLSCE) != 0
        || (sta & PciExpress.SLTSTA_PDC) != 0 && (ctl & PciExpress.SLTCTL_PDCE) != 0
        || (sta & PciExpress.SLTSTA_CC) != 0 && (ctl & PciExpress.SLTCTL_CCIE) != 0
        || (sta & PciExpress.SLTSTA_DLLSC) != 0 && (ctl & PciExpress.SLTCTL_DLLSCE) != 0 ? 1 : 0;
    boolean now = (ctl & PciExpress.SLTCTL_HPIE) != 0 && pending != 0;
    report(interrupt.level(now));
  }

  private void report(InterruptKind kind) {
    if (kind != null) {
      owner.observer().interrupt(port, slot, kind);
    }
  }
}
