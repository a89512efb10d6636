package io.pciefarm.farm;

import io.pciefarm.events.DetailKey;
import io.pciefarm.events.EventLog;
import io.pciefarm.events.EventType;
import io.pciefarm.hotplug.Indicator;
import io.pciefarm.hotplug.InterruptKind;
import io.pciefarm.hotplug.SlotObserver;
import io.pciefarm.ownership.Owner;
import io.pciefarm.ownership.OwnershipObserver;
import io.pciefarm.reset.ResetObserver;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciFunction;
import io.pciefarm.topology.TopologyObserver;
import java.util.Locale;
import java.util.Map;

/**
 * Turns what a hierarchy's engines observe into events in the hierarchy's log:
 *
 * <ul>
 *   <li>the reset engine ({@link ResetObserver}): RESET_STARTED, RESET_FINISHED, RESET_FAILED,
 *       READY, LINK_UP, LINK_DOWN;
 *   <li>the slot controllers ({@link SlotObserver}): the SLOT_* events, ATTENTION_BUTTON,
 *       MRL_CHANGED, INTERLOCK_CHANGED, POWER_FAULT, COMMAND_COMPLETED, INTERRUPT;
 *   <li>the hierarchy ({@link TopologyObserver}): ROUTING_CHANGED, ISOLATION_GROUPS_CHANGED;
 *   <li>ownership ({@link OwnershipObserver}): OWNER_CHANGED.
 * </ul>
 * Slot and link events are about the port; the others about the function, under the address
 * it answers at or, while something above hides it (a bus reset, a link down, an unpowered
 * slot), the address its bridge's bus numbers give it or it last answered at
 * ({@link PciFunction#reportedAddress}): a function filter sees the whole of a bus reset.
 */
final class EventPublisher implements ResetObserver, SlotObserver, OwnershipObserver,
    TopologyObserver {
  private final EventLog log;

  private EventPublisher(EventLog log) {
    this.log = log;
  }

  /** Wires every observer of {@code h} to {@code log}. */
  static void attach(Hierarchy h, EventLog log) {
    EventPublisher p = new EventPublisher(log);
    h.resetEngine().observer(p);
    h.hotPlug().observer(p);
    h.ownershipObserver(p);
    h.topologyObserver(p);
  }

  private static int slotOf(PciFunction f) {
    PciFunction port = f.upstreamBridge();
    return port != null && port.slot() != null ? Hierarchy.physicalSlot(port) : 0;
  }

  private void publish(EventType type, PciFunction f, int slot, Map<String, String> details) {
    log.publish(type, f == null ? null : f.reportedAddress(), slot, details);
  }

  @Override
  public void resetStarted(PciFunction.ResetInProgress reset) {
    publishReset(EventType.RESET_STARTED, reset, null);
  }

  @Override
  public void resetFinished(PciFunction.ResetInProgress reset) {
    publishReset(EventType.RESET_FINISHED, reset, null);
  }

  @Override
  public void resetFailed(PciFunction.ResetInProgress reset, String reason) {
    publishReset(EventType.RESET_FAILED, reset, reason);
  }

  @Override
  public void ready(PciFunction.ResetInProgress reset) {
    PciFunction f = reset.function();
    publish(EventType.READY, f, slotOf(f), Map.of(DetailKey.RESET_ID,
        Long.toString(reset.id())));
  }

  /** A reset's start or end: its method and number, and why when it failed. */
  private void publishReset(EventType type, PciFunction.ResetInProgress reset, String reason) {
    PciFunction f = reset.function();
    String method = reset.method().sysfsName();
    String id = Long.toString(reset.id());
    publish(type, f, slotOf(f), reason == null
        ? Map.of(DetailKey.RESET_METHOD, method, DetailKey.RESET_ID, id)
        : Map.of(DetailKey.RESET_METHOD, method, DetailKey.RESET_ID, id, DetailKey.REASON,
            reason));
  }

  @Override
  public void routingChanged(PciFunction cause) {
    publish(EventType.ROUTING_CHANGED, cause, cause == null ? 0 : slotOf(cause), Map.of());
  }

  @Override
  public void groupsChanged(PciFunction cause) {
    publish(EventType.ISOLATION_GROUPS_CHANGED, cause, cause == null ? 0 : slotOf(cause),
        Map.of());
  }

  @Override
  public void linkChanged(PciFunction port, boolean up) {
    publish(up ? EventType.LINK_UP : EventType.LINK_DOWN, port, Hierarchy.physicalSlot(port),
        Map.of());
  }

  @Override
  public void presenceChanged(PciFunction port, int slot, boolean present, String model,
      boolean surprise) {
    publish(EventType.SLOT_PRESENCE_CHANGED, port, slot, Map.of(DetailKey.PRESENT,
        Boolean.toString(present), DetailKey.MODEL, model, DetailKey.SURPRISE,
        Boolean.toString(surprise)));
  }

  @Override
  public void powerChanged(PciFunction port, int slot, boolean on) {
    publish(EventType.SLOT_POWER_CHANGED, port, slot, Map.of(DetailKey.POWER, on ? "on" : "off"));
  }

  @Override
  public void indicatorsChanged(PciFunction port, int slot, Indicator attention,
      Indicator power) {
    publish(EventType.SLOT_INDICATOR_CHANGED, port, slot, Map.of(DetailKey.ATTENTION,
        attention.name().toLowerCase(Locale.ROOT), DetailKey.POWER,
        power.name().toLowerCase(Locale.ROOT)));
  }

  @Override
  public void attentionButton(PciFunction port, int slot) {
    publish(EventType.ATTENTION_BUTTON, port, slot, Map.of());
  }

  @Override
  public void mrlChanged(PciFunction port, int slot, boolean open) {
    publish(EventType.MRL_CHANGED, port, slot, Map.of(DetailKey.MRL, open ? "open" : "closed"));
  }

  @Override
  public void powerFault(PciFunction port, int slot) {
    publish(EventType.POWER_FAULT, port, slot, Map.of());
  }

  @Override
  public void interlockChanged(PciFunction port, int slot, boolean engaged) {
    publish(EventType.INTERLOCK_CHANGED, port, slot, Map.of(DetailKey.INTERLOCK,
        engaged ? "engaged" : "released"));
  }

  @Override
  public void commandCompleted(PciFunction port, int slot) {
    publish(EventType.COMMAND_COMPLETED, port, slot, Map.of());
  }

  @Override
  public void interrupt(PciFunction port, int slot, InterruptKind kind) {
    String k = kind.name().toLowerCase(Locale.ROOT);
    publish(EventType.INTERRUPT, port, slot, kind == InterruptKind.MSI
        || kind == InterruptKind.MSIX ? Map.of(DetailKey.INTERRUPT_KIND, k, DetailKey.VECTOR,
        Integer.toString(hotPlugVector(port))) : Map.of(DetailKey.INTERRUPT_KIND, k));
  }

  /**
   * The vector a port's hot-plug interrupt uses: the Interrupt Message Number of its PCI
   * Express Capabilities register, which names the MSI vector (the offset added to Message
   * Data) or the MSI-X table entry for the interrupts of the capability, hot-plug's included.
   * Read as the interrupt is reported, on the thread that sent it.
   */
  static int hotPlugVector(PciFunction port) {
    int exp = port.model().layout().capability(CapabilityId.EXP);
    return (port.config().read(exp + PciExpress.CAPABILITIES, 2) & PciExpress.CAP_IRQ_MASK)
        >>> PciExpress.CAP_IRQ_SHIFT;
  }

  @Override
  public void ownerChanged(PciFunction f, Owner before, Owner after) {
    publish(EventType.OWNER_CHANGED, f, slotOf(f), Map.of(DetailKey.OLD_OWNER,
        before.toString(), DetailKey.NEW_OWNER, after.toString()));
  }
}
