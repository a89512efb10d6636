package io.pciefarm.farm;

import io.pciefarm.events.DetailKey;
import io.pciefarm.events.EventLog;
import io.pciefarm.events.EventType;
import io.pciefarm.hotplug.Indicator;
import io.pciefarm.hotplug.InterruptKind;
import io.pciefarm.hotplug.SlotObserver;
import io.pciefarm.ownership.Owner;
import io.pciefarm.ownership.OwnershipObserver;
import io.pciefarm.reset.ResetMethod;
import io.pciefarm.reset.ResetObserver;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.util.Locale;
import java.util.Map;

/**
 * Turns what a hierarchy's engines observe (resets, links, slots, interrupts, ownership) into
 * events in the hierarchy's log. Slot and link events are about the port; reset and ownership
 * events about the function, under the address it answers at (or none while unreachable).
 */
final class EventPublisher implements ResetObserver, SlotObserver, OwnershipObserver {
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
  }

  private static int slotOf(PciFunction f) {
    PciFunction port = f.upstreamBridge();
    return port != null && port.slot() != null ? Hierarchy.physicalSlot(port) : 0;
  }

  private void publish(EventType type, PciFunction f, int slot, Map<String, String> details) {
    PciAddress a = f.address();
    log.publish(type, a, slot, details);
  }

  @Override
  public void resetStarted(PciFunction f, ResetMethod method) {
    publish(EventType.RESET_STARTED, f, slotOf(f), Map.of(DetailKey.RESET_METHOD,
        method.sysfsName()));
  }

  @Override
  public void resetFinished(PciFunction f, ResetMethod method) {
    publish(EventType.RESET_FINISHED, f, slotOf(f), Map.of(DetailKey.RESET_METHOD,
        method.sysfsName()));
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
    publish(EventType.INTERRUPT, port, slot, Map.of(DetailKey.INTERRUPT_KIND,
        kind.name().toLowerCase(Locale.ROOT)));
  }

  @Override
  public void ownerChanged(PciFunction f, Owner before, Owner after) {
    publish(EventType.OWNER_CHANGED, f, slotOf(f), Map.of(DetailKey.OLD_OWNER,
        before.toString(), DetailKey.NEW_OWNER, after.toString()));
  }
}
