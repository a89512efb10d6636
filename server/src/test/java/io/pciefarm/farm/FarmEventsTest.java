package io.pciefarm.farm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.events.DetailKey;
import io.pciefarm.events.Event;
import io.pciefarm.events.EventFilter;
import io.pciefarm.events.EventType;
import io.pciefarm.events.Gap;
import io.pciefarm.events.StreamItem;
import io.pciefarm.events.Subscription;
import io.pciefarm.ownership.Owner;
import io.pciefarm.reset.MethodSet;
import io.pciefarm.reset.ResetRequest;
import io.pciefarm.reset.ResetTarget;
import io.pciefarm.time.ManualClock;
import io.pciefarm.time.TimeBase;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What the engines do reaches subscribers as numbered events, filtered, with gaps when slow. */
class FarmEventsTest {
  private final ManualClock clock = new ManualClock();
  private final Farm farm = new Farm(new TimeBase(clock, 1.0));
  private final Hierarchy h = farm.create(TopologyFiles.parse("""
      {"name":"ev","segment":9,"devices":[
        {"device":1,"model":"root-port-hotplug-acs","slot":1},
        {"device":2,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd"}]}]}""",
      "ev"));

  private static List<Event> drain(Subscription s) {
    List<Event> out = new ArrayList<>();
    for (StreamItem i = s.poll(); i != null; i = s.poll()) {
      out.add((Event) i);
    }
    return out;
  }

  @Test
  void engineActivityBecomesOrderedNumberedEvents() {
    try (Subscription s = farm.events().subscribe(EventFilter.all().inHierarchy("ev"), 0, 1000)) {
      h.hotPlug().insert(1, "nvme-ssd", "");
      h.write(0, 1, 0, 0x6c + 0x18, 2, 0); // Slot Control write (PCIe capability at 0x6c? see below)
      clock.runAll();
      h.lookup(2, 0).owner(Owner.lease("l1", "alice"));
      h.resets().reset(new ResetRequest(new ResetTarget.Function(PciAddress.parse("0009:02:00.0")),
          MethodSet.parse("flr"), ResetRequest.Mode.WAIT, null, false, Owner.lease("l1", "alice")));
      clock.runAll();
      List<Event> events = drain(s);
      List<EventType> types = events.stream().map(Event::type).toList();
      assertTrue(types.contains(EventType.SLOT_PRESENCE_CHANGED), types.toString());
      assertTrue(types.contains(EventType.OWNER_CHANGED), types.toString());
      int started = types.indexOf(EventType.RESET_STARTED);
      int finished = types.indexOf(EventType.RESET_FINISHED);
      assertTrue(started >= 0 && finished > started, types.toString());
      for (int i = 1; i < events.size(); i++) {
        assertEquals(events.get(i - 1).sequence() + 1, events.get(i).sequence(), "gapless");
      }
      Event owner = events.get(types.indexOf(EventType.OWNER_CHANGED));
      assertEquals("0009:02:00.0", owner.function());
      assertEquals("host", owner.detail(DetailKey.OLD_OWNER));
      assertEquals("flr", events.get(started).detail(DetailKey.RESET_METHOD));
      Event presence = events.get(types.indexOf(EventType.SLOT_PRESENCE_CHANGED));
      assertEquals("0009:00:01.0", presence.function(), "slot events are about the port");
      assertEquals(1, presence.slot());
    }
  }

  @Test
  void filtersBySlotAndFunction() {
    try (Subscription slot = farm.events().subscribe(EventFilter.all().inSlot(1), 0, 100);
        Subscription fn = farm.events().subscribe(
            EventFilter.all().aboutFunction("0009:02:00.0"), 0, 100)) {
      h.hotPlug().pressAttentionButton(1);
      h.lookup(2, 0).owner(Owner.lease("l1", "alice"));
      assertEquals(List.of(EventType.ATTENTION_BUTTON), drain(slot).stream().map(Event::type).toList());
      assertEquals(List.of(EventType.OWNER_CHANGED), drain(fn).stream().map(Event::type).toList());
    }
  }

  @Test
  void aSlowSubscriberGetsAGapMarkerAndTheOthersEverything() {
    try (Subscription slow = farm.events().subscribe(EventFilter.all().inSlot(1), 0, 3);
        Subscription fast = farm.events().subscribe(EventFilter.all().inSlot(1), 0, 1000)) {
      for (int i = 0; i < 10; i++) {
        h.hotPlug().pressAttentionButton(1);
      }
      assertEquals(10, drain(fast).size());
      List<StreamItem> got = new ArrayList<>();
      for (StreamItem i = slow.poll(); i != null; i = slow.poll()) {
        got.add(i);
      }
      assertEquals(3 + 1, got.size(), got.toString());
      Gap gap = assertInstanceOf(Gap.class, got.get(3));
      assertEquals(7, gap.missed());
    }
  }

  /** A card yanked while its link is up takes the link down with it: LINK_DOWN, as reset does. */
  @Test
  void aSurpriseRemovalReportsTheLinkGoingDown() {
    h.hotPlug().insert(1, "nvme-ssd", "");
    int exp = h.slotPort(1).model().layout().capability(io.pciefarm.spec.CapabilityId.EXP);
    h.write(0, 1, 0, exp + io.pciefarm.spec.PciExpress.SLOT_CONTROL, 2, 0); // power on
    clock.runAll();
    assertTrue(h.hotPlug().state(1).linkUp());
    try (Subscription s = farm.events().subscribe(EventFilter.all().inSlot(1), 0, 100)) {
      h.hotPlug().remove(1);
      List<EventType> types = drain(s).stream().map(Event::type).toList();
      assertEquals(List.of(EventType.LINK_DOWN, EventType.SLOT_PRESENCE_CHANGED), types);
    }
  }

  @Test
  void deletingTheHierarchyEndsItsLog() {
    try (Subscription s = farm.events().subscribe(EventFilter.all().inHierarchy("ev"), 0, 10)) {
      farm.delete("ev");
      assertEquals(EventType.HIERARCHY_DELETED, ((Event) s.poll()).type());
      assertNull(s.poll());
    }
  }
}
