package io.pciefarm.hotplug;

import io.pciefarm.device.DeviceModel;
import io.pciefarm.hotplug.HotPlugException.Kind;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.Msi;
import io.pciefarm.spec.MsiX;
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
 *   <li>The interrupt is a level, HPIE and any enabled status bit; a rising edge sends an MSI-X
 *       or MSI message when enabled, else asserts INTx unless disabled. INTx deasserts when the
 *       level falls. Nothing is sent again until a new rising edge.
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
  private DeviceModel card;
  private boolean mrlOpen;
  private boolean interlock;
  private boolean faulted;
  private boolean level;
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

  /** Power applied: per Power Controller Control when there is a power controller. */
  private boolean powered() {
    return !has(PciExpress.SLTCAP_PCP) || ((control() & PciExpress.SLTCTL_PCC) == 0 && !faulted);
  }

  @Override
  public synchronized boolean linkPossible() {
    return card != null && powered() && !mrlOpen;
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
    if (has(PciExpress.SLTCAP_PCP) && (changed & PciExpress.SLTCTL_PCC) != 0) {
      boolean on = (newValue & PciExpress.SLTCTL_PCC) == 0;
      if (!on) {
        faulted = false; // software turning power off acknowledges a power fault
      }
      owner.observer().powerChanged(port, slot, on);
      if (on && linkPossible()) {
        hierarchy.resetEngine().powerOn(port);
      } else if (!on && card != null) {
        hierarchy.resetEngine().powerOff(port);
      }
    }
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
  public synchronized void linkChanged(boolean up) {
    if (dllReporting) {
      raise(PciExpress.SLTSTA_DLLSC);
    }
    updateInterrupt();
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

  // ---- what a person at the rack does ----

  synchronized void insert(DeviceModel model, String label) {
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
    hierarchy.unplug(port);
    port.config().hardwareUpdate(slotStatus, 2, PciExpress.SLTSTA_PDS, PciExpress.SLTSTA_PDC);
    hierarchy.resetEngine().linkLost(port);
    hierarchy.routingChanged();
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
    // An open latch cuts power to the card; closing it restores what Slot Control asks for.
    if (open && card != null) {
      hierarchy.resetEngine().powerOff(port);
    } else if (!open && linkPossible()) {
      hierarchy.resetEngine().powerOn(port);
    }
    updateInterrupt();
  }

  synchronized void powerFault() {
    require(PciExpress.SLTCAP_PCP, "a power controller");
    faulted = true;
    raise(PciExpress.SLTSTA_PFD);
    owner.observer().powerFault(port, slot);
    if (card != null) {
      hierarchy.resetEngine().powerOff(port);
    }
    updateInterrupt();
  }

  private void require(int capability, String what) {
    if (!has(capability)) {
      throw new HotPlugException(Kind.WRONG_STATE, "slot " + slot + " has no " + what);
    }
  }

  /** Recomputes the interrupt level and delivers on a rising edge. */
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
    if (now && !level) {
      owner.observer().interrupt(port, slot, deliver());
    } else if (!now && level) {
      port.config().hardwareUpdate(Header.STATUS, 2, Header.STATUS_INTERRUPT, 0);
    }
    level = now;
  }

  /** Sends the interrupt the way the port is configured to; INTx stays asserted. */
  private InterruptKind deliver() {
    int msix = port.model().layout().capability(CapabilityId.MSIX);
    if (msix >= 0) {
      int c = port.config().read(msix + MsiX.CONTROL, 2);
      if ((c & MsiX.CONTROL_ENABLE) != 0) {
        return (c & MsiX.CONTROL_FUNCTION_MASK) != 0 ? InterruptKind.SUPPRESSED
            : InterruptKind.MSIX;
      }
    }
    int msi = port.model().layout().capability(CapabilityId.MSI);
    if (msi >= 0 && (port.config().read(msi + Msi.CONTROL, 2) & Msi.CONTROL_ENABLE) != 0) {
      return InterruptKind.MSI;
    }
    if ((port.config().read(Header.COMMAND, 2) & Header.COMMAND_INTX_DISABLE) == 0) {
      port.config().hardwareUpdate(Header.STATUS, 2, 0, Header.STATUS_INTERRUPT);
      return InterruptKind.INTX;
    }
    return InterruptKind.SUPPRESSED;
  }
}
