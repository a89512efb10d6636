package io.pciefarm.client;

import io.pciefarm.proto.v1.GetSlotRequest;
import io.pciefarm.proto.v1.InsertRequest;
import io.pciefarm.proto.v1.SetMrlRequest;
import io.pciefarm.proto.v1.SlotActionRequest;
import io.pciefarm.proto.v1.SlotRef;
import io.pciefarm.proto.v1.SlotState;
import java.util.UUID;

/**
 * One hot-plug slot, by hierarchy and physical slot number: its state, and what a person at
 * the rack does to it. Every action returns the slot's state after it. Reading the state is
 * retried on UNAVAILABLE; actions are not (each carries a fresh request_id, so a server with a
 * replay cache would answer a repeat with the first outcome).
 */
public final class SlotHandle {
  private final PcieFarmClient client;
  private final String hierarchy;
  private final int slot;

  SlotHandle(PcieFarmClient client, String hierarchy, int slot) {
    this.client = client;
    this.hierarchy = hierarchy;
    this.slot = slot;
  }

  public String hierarchy() {
    return hierarchy;
  }

  public int number() {
    return slot;
  }

  private SlotRef ref() {
    return SlotRef.newBuilder().setHierarchy(hierarchy).setSlot(slot).build();
  }

  private SlotActionRequest action() {
    return SlotActionRequest.newBuilder().setSlot(ref())
        .setRequestId(UUID.randomUUID().toString()).build();
  }

  /** The slot as it is now. */
  public SlotState state() {
    return client.call("getting " + this, () -> client.hotPlug().getSlot(
        GetSlotRequest.newBuilder().setSlot(ref()).build()));
  }

  /** Puts a card of catalog model {@code model} into the (empty) slot. */
  public SlotState insert(String model) {
    return insert(model, "");
  }

  /** Puts a card into the slot, with a label for people. */
  public SlotState insert(String model, String label) {
    return client.call("inserting a card into " + this, () -> client.hotPlug().insert(
        InsertRequest.newBuilder().setSlot(ref()).setModel(model).setLabel(label)
            .setRequestId(UUID.randomUUID().toString()).build()));
  }

  /** Pulls the card: a surprise removal while the slot is powered with its link up. */
  public SlotState remove() {
    return client.call("removing the card from " + this, () -> client.hotPlug()
        .remove(action()));
  }

  /** Presses the attention button. */
  public SlotState pressAttentionButton() {
    return client.call("pressing the attention button of " + this, () -> client.hotPlug()
        .pressAttentionButton(action()));
  }

  /** Opens the retention latch (cutting power to a powered card). */
  public SlotState openMrl() {
    return setMrl(true);
  }

  /** Closes the retention latch. */
  public SlotState closeMrl() {
    return setMrl(false);
  }

  private SlotState setMrl(boolean open) {
    return client.call((open ? "opening" : "closing") + " the latch of " + this,
        () -> client.hotPlug().setMrl(SetMrlRequest.newBuilder().setSlot(ref()).setOpen(open)
            .setRequestId(UUID.randomUUID().toString()).build()));
  }

  /** Signals a power fault: Power Fault Detected, power off. */
  public SlotState injectPowerFault() {
    return client.call("injecting a power fault into " + this, () -> client.hotPlug()
        .injectPowerFault(action()));
  }

  @Override
  public String toString() {
    return "slot " + slot + " of " + hierarchy;
  }
}
