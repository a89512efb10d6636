package io.pciefarm.hotplug;

import io.pciefarm.device.Catalog;
import io.pciefarm.device.DeviceModel;
import io.pciefarm.hotplug.HotPlugException.Kind;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciFunction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The hot-plug slots of one hierarchy and the operator actions on them: insert a card, pull it
 * (a surprise removal when it is still powered), press the attention button, open and close
 * the retention latch, cause a power fault. What the OS does in reply it does through the
 * port's registers.
 */
public final class HotPlug {
  /** Default time a slot takes to complete a command. */
  public static final Duration DEFAULT_COMMAND_LATENCY = Duration.ofMillis(1);

  private final Hierarchy hierarchy;
  private final Map<Integer, SlotController> slots = new TreeMap<>();
  private volatile SlotObserver observer = SlotObserver.NONE;
  private volatile Duration commandLatency = DEFAULT_COMMAND_LATENCY;

  private HotPlug(Hierarchy hierarchy) {
    this.hierarchy = hierarchy;
  }

  /** Gives every slot of {@code h} its controller. Call once, when the hierarchy is built. */
  public static HotPlug attach(Hierarchy h) {
    HotPlug hp = new HotPlug(h);
    for (PciFunction f : h.functions()) {
      if (f.model().hasSlot() && f.functionNumber() == 0) {
        SlotController c = new SlotController(hp, f);
        hp.slots.put(c.slot(), c);
        f.slot(c);
      }
    }
    return hp;
  }

  public void observer(SlotObserver observer) {
    this.observer = observer == null ? SlotObserver.NONE : observer;
  }

  SlotObserver observer() {
    return observer;
  }

  /** How long a Slot Control command takes before Command Completed (then time-scaled). */
  public Duration commandLatency() {
    return commandLatency;
  }

  public void commandLatency(Duration latency) {
    if (latency.isNegative()) {
      throw new IllegalArgumentException("command latency " + latency + " is negative");
    }
    this.commandLatency = latency;
  }

  /** Every slot's state, by slot number. */
  public List<SlotState> slots() {
    List<SlotState> out = new ArrayList<>();
    slots.values().forEach(c -> out.add(c.state()));
    return out;
  }

  public SlotState state(int slot) {
    return controller(slot).state();
  }

  /**
   * Inserts a card of catalog model {@code model} into an empty slot. Presence Detect State
   * and Changed are set; if the slot is powered and latched the link trains and the card
   * answers once ready. A slot that is not hot-plug capable refuses (WRONG_STATE), as it
   * refuses {@link #remove}.
   */
  public void insert(int slot, String model, String label) {
    DeviceModel m = Catalog.find(model).orElseThrow(() -> new HotPlugException(Kind.BAD_CARD,
        "unknown model '" + model + "'"));
    controller(slot).insert(m, label);
  }

  /** Pulls the card. Still powered with its link up, this is a surprise removal. */
  public void remove(int slot) {
    controller(slot).remove();
  }

  public void pressAttentionButton(int slot) {
    controller(slot).pressAttentionButton();
  }

  public void openMrl(int slot) {
    controller(slot).mrl(true);
  }

  public void closeMrl(int slot) {
    controller(slot).mrl(false);
  }

  public void powerFault(int slot) {
    controller(slot).powerFault();
  }

  /** The controller of slot {@code slot}, for the engine and tests of this package. */
  SlotController controller(int slot) {
    SlotController c = slots.get(slot);
    if (c == null) {
      throw new HotPlugException(Kind.NO_SLOT, "hierarchy '" + hierarchy.name()
          + "' has no hot-plug slot " + slot + (slots.isEmpty() ? ""
          : "; its slots are " + slots.keySet()));
    }
    return c;
  }
}
