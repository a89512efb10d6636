package io.pciefarm.farm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.events.DetailKey;
import io.pciefarm.events.Event;
import io.pciefarm.events.EventBus;
import io.pciefarm.events.EventFilter;
import io.pciefarm.events.EventType;
import io.pciefarm.events.Gap;
import io.pciefarm.events.StreamItem;
import io.pciefarm.events.Subscription;
import io.pciefarm.hotplug.HotPlugException;
import io.pciefarm.ownership.Owner;
import io.pciefarm.reset.MethodSet;
import io.pciefarm.reset.ResetException;
import io.pciefarm.reset.ResetMethod;
import io.pciefarm.reset.ResetRequest;
import io.pciefarm.reset.ResetTarget;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.ExtendedCapabilities;
import io.pciefarm.spec.Msi;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.Type1;
import io.pciefarm.time.ManualClock;
import io.pciefarm.time.TimeBase;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * What the engines do reaches subscribers as numbered events, filtered, with gaps when slow.
 * Events are stamped from the farm's manual clock, so a timestamp says when on the farm clock
 * the event happened.
 */
class FarmEventsTest {
  private static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
  private final ManualClock clock = new ManualClock();
  private final Farm farm = new Farm(new TimeBase(clock, 1.0),
      new EventBus(() -> T0.plusNanos(clock.nanoTime()), EventBus.DEFAULT_HISTORY));
  private final Hierarchy h = farm.create(TopologyFiles.parse("""
      {"name":"ev","segment":9,"devices":[
        {"device":1,"model":"root-port-hotplug-acs","slot":1},
        {"device":2,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd"}]}]}""",
      "ev"));

  private Hierarchy create(String name, int segment, String devices) {
    return farm.create(TopologyFiles.parse("{\"name\":\"" + name + "\",\"segment\":" + segment
        + ",\"devices\":[" + devices + "]}", name));
  }

  /** Everything the subscription has now: events only, no gap expected. */
  private static List<Event> drain(Subscription s) {
    List<Event> out = new ArrayList<>();
    for (StreamItem i = s.poll(); i != null; i = s.poll()) {
      out.add(assertInstanceOf(Event.class, i, "no gap expected"));
    }
    return out;
  }

  /** One hierarchy's unfiltered stream: gapless sequence numbers, timestamps never going back. */
  private static void assertOrdered(List<Event> events) {
    for (int i = 1; i < events.size(); i++) {
      Event a = events.get(i - 1);
      Event b = events.get(i);
      assertEquals(a.sequence() + 1, b.sequence(), "gapless");
      assertFalse(b.timestamp().isBefore(a.timestamp()), () -> b + " is stamped before " + a);
    }
  }

  private static List<String> brief(List<Event> events) {
    return events.stream().map(e -> e.type() + " " + e.function()
        + (e.detail(DetailKey.RESET_METHOD) == null ? "" : " " + e.detail(DetailKey.RESET_METHOD)))
        .toList();
  }

  private static Event first(List<Event> events, EventType type, String function) {
    return events.stream().filter(e -> e.type() == type && e.function().equals(function))
        .findFirst().orElseThrow(() -> new AssertionError("no " + type + " about " + function
            + " in " + brief(events)));
  }

  private static int exp(PciFunction f) {
    return f.model().layout().capability(CapabilityId.EXP);
  }

  private static String address(PciFunction f) {
    return f.address().toString();
  }

  @Test
  void engineActivityBecomesOrderedNumberedEvents() {
    PciFunction port = h.slotPort(1);
    String portAddress = address(port);
    try (Subscription s = farm.events().subscribe(EventFilter.all().inHierarchy("ev"), 0, 1000)) {
      h.hotPlug().insert(1, "nvme-ssd", "");
      assertFalse(h.hotPlug().state(1).powered(), "an inserted card waits for the OS to power it");
      // Slot Control, found through the capability list: Power Controller Control 0 = on.
      h.write(0, 1, 0, exp(port) + PciExpress.SLOT_CONTROL, 2, 0);
      clock.runAll();
      assertTrue(h.hotPlug().state(1).powered() && h.hotPlug().state(1).linkUp(),
          "the Slot Control write powered the slot and the link trained");
      String card = String.format("0009:%02x:00.0", port.secondaryBusNumber());
      assertEquals(0x144d, h.read(port.secondaryBusNumber(), 0, 0, 0, 2), "the card answers");
      h.lookup(2, 0).owner(Owner.lease("l1", "alice"));
      h.resets().reset(new ResetRequest(new ResetTarget.Function(PciAddress.parse("0009:02:00.0")),
          MethodSet.parse("flr"), ResetRequest.Mode.WAIT, null, false, Owner.lease("l1", "alice")));
      clock.runAll();
      List<Event> events = drain(s);
      assertOrdered(events);
      List<EventType> types = events.stream().map(Event::type).toList();
      assertTrue(types.contains(EventType.SLOT_PRESENCE_CHANGED), types.toString());
      assertTrue(types.contains(EventType.OWNER_CHANGED), types.toString());

      Event on = first(events, EventType.SLOT_POWER_CHANGED, portAddress);
      assertEquals("on", on.detail(DetailKey.POWER));
      Event linkUp = first(events, EventType.LINK_UP, portAddress);
      Event coldStart = first(events, EventType.RESET_STARTED, card);
      assertEquals("power_cycle", coldStart.detail(DetailKey.RESET_METHOD), "powered from cold");
      Event cardReady = first(events, EventType.READY, card);
      Event coldEnd = first(events, EventType.RESET_FINISHED, card);
      assertTrue(on.sequence() < linkUp.sequence() && linkUp.sequence() < cardReady.sequence()
          && cardReady.sequence() < coldEnd.sequence(), brief(events).toString());
      assertEquals(Duration.ofMillis(20).plus(h.lookup(port.secondaryBusNumber(), 0).model()
          .resetReadyDelay()), Duration.between(on.timestamp(), cardReady.timestamp()),
          "ready after link training and the card's reset delay, on the farm clock");

      Event flr = first(events, EventType.RESET_STARTED, "0009:02:00.0");
      Event finished = first(events, EventType.RESET_FINISHED, "0009:02:00.0");
      assertTrue(flr.sequence() < finished.sequence());
      assertEquals("flr", flr.detail(DetailKey.RESET_METHOD));
      Event owner = first(events, EventType.OWNER_CHANGED, "0009:02:00.0");
      assertEquals("host", owner.detail(DetailKey.OLD_OWNER));
      Event presence = first(events, EventType.SLOT_PRESENCE_CHANGED, portAddress);
      assertEquals(1, presence.slot(), "slot events are about the port");
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
    int exp = exp(h.slotPort(1));
    h.write(0, 1, 0, exp + PciExpress.SLOT_CONTROL, 2, 0); // power on
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

  /**
   * A bus-number write that moves a subtree republishes routing: one ROUTING_CHANGED about the
   * bridge. A write that routes nothing differently publishes none, and a burst of writes
   * coalesced into one publish is one event, about the first bridge written.
   */
  @Test
  void routingChangedIsPublishedOncePerRepublish() {
    PciFunction port2 = h.lookup(0, 2 << 3);
    PciFunction port1 = h.slotPort(1);
    try (Subscription s = farm.events().subscribe(EventFilter.all().inHierarchy("ev")
        .ofTypes(EventType.ROUTING_CHANGED), 0, 100)) {
      h.write(0, 2, 0, Type1.SECONDARY_BUS, 1, 5);
      h.write(0, 2, 0, Type1.SUBORDINATE_BUS, 1, 5);
      assertEquals(0x144d, h.read(5, 0, 0, 0, 2), "the drive moved to bus 5");
      // Secondary 5 with subordinate 2 routes nothing; subordinate 5 routes bus 5 again.
      assertEquals(List.of("ROUTING_CHANGED 0009:00:02.0", "ROUTING_CHANGED 0009:00:02.0"),
          brief(drain(s)));
      // A wider window with no bus behind it to take the new number routes nothing new.
      h.write(0, 2, 0, Type1.SUBORDINATE_BUS, 1, 6);
      h.write(0, 2, 0, Type1.SUBORDINATE_BUS, 1, 5);
      assertEquals(List.of(), drain(s), "republished, but every number routes as before");

      h.coalesceRoutingChanges(() -> {
        port2.config().write(Type1.SECONDARY_BUS, 1, 2);
        port2.config().write(Type1.SUBORDINATE_BUS, 1, 2);
        port1.config().write(Type1.SUBORDINATE_BUS, 1, 3);
      });
      assertEquals(List.of("ROUTING_CHANGED 0009:00:02.0"), brief(drain(s)),
          "three bus-number writes, one publish, about the first bridge");
      assertEquals(0x144d, h.read(2, 0, 0, 0, 2));
    }
  }

  /** ACS Control writes regroup only when the groups differ, and the event names the writer. */
  @Test
  void isolationGroupsChangedOnlyWhenTheyDiffer() {
    PciFunction port2 = h.lookup(0, 2 << 3);
    PciFunction drive = h.lookup(2, 0);
    int acs = port2.model().layout().extendedCapability(CapabilityId.EXT_ACS)
        + ExtendedCapabilities.ACS_CONTROL;
    int enabled = port2.config().read(acs, 2);
    assertTrue(h.groups().groupOf(port2) != h.groups().groupOf(drive), "ACS splits them");
    try (Subscription s = farm.events().subscribe(EventFilter.all().inHierarchy("ev")
        .ofTypes(EventType.ISOLATION_GROUPS_CHANGED), 0, 100)) {
      h.write(0, 2, 0, acs, 2, 0);
      assertEquals(h.groups().groupOf(port2), h.groups().groupOf(drive), "merged");
      assertEquals(List.of("ISOLATION_GROUPS_CHANGED 0009:00:02.0"), brief(drain(s)));
      h.write(0, 2, 0, acs, 2, ExtendedCapabilities.ACS_SV); // still not isolating: same groups
      assertEquals(List.of(), drain(s));
      h.write(0, 2, 0, acs, 2, enabled);
      assertEquals(List.of("ISOLATION_GROUPS_CHANGED 0009:00:02.0"), brief(drain(s)));
      // A bus reset of the port does not touch the port's own ACS Control: nothing to report.
      h.write(0, 2, 0, Type1.BRIDGE_CONTROL, 2, Type1.BRIDGE_CTL_BUS_RESET);
      h.write(0, 2, 0, Type1.BRIDGE_CONTROL, 2, 0);
      clock.runAll();
      assertEquals(List.of(), drain(s));
      // A burst coalesced into one publish (a restore) regroups once, at its end.
      h.coalesceRoutingChanges(() -> {
        port2.config().write(acs, 2, 0);
        assertEquals(List.of(), drain(s), "not in the middle of the burst");
        port2.config().write(acs, 2, ExtendedCapabilities.ACS_SV);
      });
      assertEquals(List.of("ISOLATION_GROUPS_CHANGED 0009:00:02.0"), brief(drain(s)));
    }
  }

  /**
   * READY comes when the readiness wait ends, scheduled on the farm clock: not before, and
   * stamped exactly the model's delay after the reset began. RESET_FINISHED follows it.
   */
  @Test
  void readyIsPublishedWhenTheReadinessWaitEnds() {
    PciFunction drive = h.lookup(2, 0);
    Duration delay = drive.model().flrReadyDelay();
    try (Subscription s = farm.events().subscribe(EventFilter.all()
        .aboutFunction("0009:02:00.0"), 0, 100)) {
      h.write(2, 0, 0, exp(drive) + PciExpress.DEVICE_CONTROL, 2, PciExpress.DEVCTL_BCR_FLR);
      clock.advance(delay.minusNanos(1));
      assertEquals(List.of("RESET_STARTED 0009:02:00.0 flr"), brief(drain(s)));
      clock.advance(Duration.ofNanos(1));
      List<Event> end = drain(s);
      assertEquals(List.of("READY 0009:02:00.0", "RESET_FINISHED 0009:02:00.0 flr"), brief(end));
      assertEquals(T0.plus(delay), end.get(0).timestamp());
      assertEquals(0x144d, h.read(2, 0, 0, 0, 2));
    }
  }

  /**
   * A device that never comes back from FLR: its reset fails once a working device would have
   * been ready, with the reason; no READY. A bus reset then recovers it, and finishes.
   */
  @Test
  void aDeviceThatNeverComesBackFailsItsReset() {
    Hierarchy x = create("hang", 10,
        "{\"device\":3,\"model\":\"root-port-acs\",\"children\":[{\"device\":0,"
        + "\"model\":\"nic-flr-hang\"}]}");
    PciFunction port = x.lookup(0, 3 << 3);
    PciFunction nic = x.lookup(port.secondaryBusNumber(), 0);
    String at = address(nic);
    try (Subscription s = farm.events().subscribe(EventFilter.all().aboutFunction(at), 0, 100)) {
      nic.config().write(exp(nic) + PciExpress.DEVICE_CONTROL, 2, PciExpress.DEVCTL_BCR_FLR);
      clock.advance(Duration.ofSeconds(2));
      List<Event> events = drain(s);
      assertEquals(List.of("RESET_STARTED " + at + " flr", "RESET_FAILED " + at + " flr"),
          brief(events));
      assertEquals(T0.plus(nic.model().flrReadyDelay()), events.get(1).timestamp());
      assertTrue(events.get(1).detail(DetailKey.REASON).contains("never comes back"),
          events.get(1).toString());
      assertTrue(nic.neverReady());

      x.write(0, 3, 0, Type1.BRIDGE_CONTROL, 2, Type1.BRIDGE_CTL_BUS_RESET);
      x.write(0, 3, 0, Type1.BRIDGE_CONTROL, 2, 0);
      clock.runAll();
      assertEquals(List.of("RESET_STARTED " + at + " bus", "READY " + at,
          "RESET_FINISHED " + at + " bus"), brief(drain(s)));
    }
  }

  /**
   * A request that stops waiting (its deadline) fails the reset of every function not ready by
   * then; the function still comes back later (READY) but the reset does not also finish.
   */
  @Test
  void aRequestThatStopsWaitingFailsTheReset() {
    Hierarchy x = create("slow", 11,
        "{\"device\":2,\"model\":\"root-port-acs\",\"children\":[{\"device\":0,"
        + "\"model\":\"nvme-ssd-slow-flr\"}]}");
    PciFunction drive = x.lookup(x.lookup(0, 2 << 3).secondaryBusNumber(), 0);
    String at = address(drive);
    Duration delay = drive.model().flrReadyDelay();
    assertTrue(delay.compareTo(Duration.ofMillis(10)) > 0, "slow enough for a 10 ms deadline");
    try (Subscription s = farm.events().subscribe(EventFilter.all().aboutFunction(at), 0, 100)) {
      var result = x.resets().reset(new ResetRequest(new ResetTarget.Function(drive.address()),
          MethodSet.parse("flr"), ResetRequest.Mode.WAIT, Duration.ofMillis(10), false,
          Owner.HOST));
      clock.advance(Duration.ofMillis(10));
      assertTrue(result.isDone(), "the request gave up at its deadline");
      assertEquals(List.of(at), result.join().notReady());
      List<Event> failed = drain(s);
      assertEquals(List.of("RESET_STARTED " + at + " flr", "RESET_FAILED " + at + " flr"),
          brief(failed));
      assertTrue(failed.get(1).detail(DetailKey.REASON).contains("deadline of 10 ms"),
          failed.get(1).toString());
      clock.runAll();
      assertEquals(List.of("READY " + at), brief(drain(s)), "back, but the reset ended already");
    }
  }

  /**
   * A request that stops waiting fails only the resets it started. Here its FLR is superseded
   * by one written to Device Control (a write that landed while the function answered Retry
   * Status): the request's reset is finished by that, and at the request's deadline the
   * client's reset is left alone; it gets its own READY and RESET_FINISHED, and no failure.
   */
  @Test
  void aRequestThatStopsWaitingLeavesAResetItDidNotStartAlone() {
    Hierarchy x = create("taken", 13,
        "{\"device\":2,\"model\":\"root-port-acs\",\"children\":[{\"device\":0,"
        + "\"model\":\"nvme-ssd-slow-flr\"}]}");
    PciFunction drive = x.lookup(x.lookup(0, 2 << 3).secondaryBusNumber(), 0);
    String at = address(drive);
    int devctl = exp(drive) + PciExpress.DEVICE_CONTROL;
    try (Subscription s = farm.events().subscribe(EventFilter.all().aboutFunction(at), 0, 100)) {
      var result = x.resets().reset(new ResetRequest(new ResetTarget.Function(drive.address()),
          MethodSet.parse("flr"), ResetRequest.Mode.WAIT, Duration.ofMillis(10), false,
          Owner.HOST));
      clock.advance(Duration.ofMillis(5));
      drive.config().write(devctl, 2, drive.config().read(devctl, 2) | PciExpress.DEVCTL_BCR_FLR);
      clock.advance(Duration.ofMillis(5));
      assertTrue(result.isDone(), "the request gave up at its deadline");
      assertEquals(List.of(at), result.join().notReady());
      List<Event> started = drain(s);
      assertEquals(List.of("RESET_STARTED " + at + " flr", "RESET_FINISHED " + at + " flr",
          "RESET_STARTED " + at + " flr"), brief(started), "the client's reset still runs");
      String clients = started.get(2).detail(DetailKey.RESET_ID);
      assertEquals(started.get(0).detail(DetailKey.RESET_ID),
          started.get(1).detail(DetailKey.RESET_ID), "the request's reset was the one finished");
      clock.runAll();
      List<Event> end = drain(s);
      assertEquals(List.of("READY " + at, "RESET_FINISHED " + at + " flr"), brief(end));
      assertEquals(List.of(clients, clients), end.stream()
          .map(e -> e.detail(DetailKey.RESET_ID)).toList(), "both about the client's reset");
    }
  }

  /**
   * A power cycle requested on a slot that software keeps off cannot bring the card back, and
   * gives up after the farm's wait; the cold reset the Slot Control write started is not the
   * request's to fail. It finishes when software powers the slot again.
   */
  @Test
  void aPowerCycleThatGivesUpLeavesTheSlotControlResetAlone() {
    PciFunction port = h.slotPort(1);
    int sltctl = exp(port) + PciExpress.SLOT_CONTROL;
    h.hotPlug().insert(1, "nvme-ssd", "");
    h.write(0, 1, 0, sltctl, 2, 0);
    clock.runAll();
    PciFunction cardFn = h.lookup(port.secondaryBusNumber(), 0);
    String card = address(cardFn);
    try (Subscription s = farm.events().subscribe(EventFilter.all().aboutFunction(card), 0, 100)) {
      h.write(0, 1, 0, sltctl, 2, PciExpress.SLTCTL_PCC);
      assertEquals(List.of("RESET_STARTED " + card + " power_cycle"), brief(drain(s)));
      var result = h.resets().reset(new ResetRequest(new ResetTarget.Slot(1),
          MethodSet.parse("power_cycle"), ResetRequest.Mode.WAIT, null, false, Owner.HOST));
      clock.advance(Duration.ofSeconds(61));
      assertTrue(result.isDone(), "the request gave up after the farm's wait");
      assertEquals(List.of(cardFn.describe()), result.join().notReady());
      assertEquals(List.of(), brief(drain(s)), "nothing ended the Slot Control's reset");
      h.write(0, 1, 0, sltctl, 2, 0);
      clock.runAll();
      assertEquals(List.of("READY " + card, "RESET_FINISHED " + card + " power_cycle"),
          brief(drain(s)));
    }
  }

  /**
   * A second reset started while the first waits, due ready at the same moment (equal delays
   * on the farm clock): the first is finished by the second and never reported ready; the
   * second gets exactly one READY and its own RESET_FINISHED.
   */
  @Test
  void aSupersededResetDueAtTheSameMomentIsNeverReportedReady() {
    PciFunction drive = h.lookup(2, 0);
    int devctl = exp(drive) + PciExpress.DEVICE_CONTROL;
    try (Subscription s = farm.events().subscribe(EventFilter.all()
        .aboutFunction("0009:02:00.0"), 0, 100)) {
      drive.config().write(devctl, 2, PciExpress.DEVCTL_BCR_FLR);
      drive.config().write(devctl, 2, PciExpress.DEVCTL_BCR_FLR); // same farm time
      clock.runAll();
      assertEquals(List.of("RESET_STARTED 0009:02:00.0 flr", "RESET_FINISHED 0009:02:00.0 flr",
          "RESET_STARTED 0009:02:00.0 flr", "READY 0009:02:00.0",
          "RESET_FINISHED 0009:02:00.0 flr"), brief(drain(s)));
    }
  }

  /**
   * A card's reset that cannot complete because the card is pulled ends as failed: the cold
   * reset an orderly removal starts by powering the slot off, and a reset in progress when the
   * card is yanked.
   */
  @Test
  void aCardPulledDuringItsResetFailsIt() {
    PciFunction port = h.slotPort(1);
    int sltctl = exp(port) + PciExpress.SLOT_CONTROL;
    h.hotPlug().insert(1, "nvme-ssd", "");
    h.write(0, 1, 0, sltctl, 2, 0);
    clock.runAll();
    String card = String.format("0009:%02x:00.0", port.secondaryBusNumber());
    try (Subscription s = farm.events().subscribe(EventFilter.all().aboutFunction(card), 0, 100)) {
      // Orderly: the OS powers the slot off, then the card is pulled.
      h.write(0, 1, 0, sltctl, 2, PciExpress.SLTCTL_PCC);
      assertEquals(List.of("RESET_STARTED " + card + " power_cycle"), brief(drain(s)));
      h.hotPlug().remove(1);
      clock.runAll();
      List<Event> pulled = drain(s);
      assertEquals(List.of("RESET_FAILED " + card + " power_cycle"), brief(pulled));
      assertTrue(pulled.get(0).detail(DetailKey.REASON).contains("removed"));
      assertEquals(1, pulled.get(0).slot());

      // Yanked during an FLR: the reset fails, and the pulled card never reports READY.
      h.hotPlug().insert(1, "nvme-ssd", "");
      h.write(0, 1, 0, sltctl, 2, 0);
      clock.runAll();
      drain(s);
      PciFunction fresh = h.lookup(port.secondaryBusNumber(), 0);
      fresh.config().write(exp(fresh) + PciExpress.DEVICE_CONTROL, 2, PciExpress.DEVCTL_BCR_FLR);
      h.hotPlug().remove(1);
      clock.runAll();
      assertEquals(List.of("RESET_STARTED " + card + " flr", "RESET_FAILED " + card + " flr"),
          brief(drain(s)));
    }
  }

  /**
   * A request waiting for a card that is pulled after its ready time was set stops waiting at
   * its next check, reports the card not ready, and leaves nothing polling the farm clock; a
   * reset begun on the pulled card afterwards starts nothing (it could never end).
   */
  @Test
  void aRequestStopsWaitingForACardPulledDuringItsReadyWait() {
    PciFunction port = h.slotPort(1);
    int sltctl = exp(port) + PciExpress.SLOT_CONTROL;
    h.hotPlug().insert(1, "nvme-ssd", "");
    h.write(0, 1, 0, sltctl, 2, 0);
    clock.runAll();
    PciFunction card = h.lookup(port.secondaryBusNumber(), 0);
    String at = address(card);
    long ready = h.scaledNanos(card.model().flrReadyDelay());
    assertTrue(ready > 2, "the drive takes time to come back from FLR");
    try (Subscription s = farm.events().subscribe(EventFilter.all().aboutFunction(at), 0, 100)) {
      var result = h.resets().reset(new ResetRequest(new ResetTarget.Function(card.address()),
          MethodSet.parse("flr"), ResetRequest.Mode.WAIT, null, false, Owner.HOST));
      clock.advance(Duration.ofNanos(ready / 2));
      assertFalse(result.isDone());
      h.hotPlug().remove(1);
      clock.advance(Duration.ofNanos(ready)); // past the pulled card's old ready time
      assertTrue(result.isDone(), "no wait for a card that is gone, let alone 60 s");
      // Off its bus it has no bus number: named by the port it was below.
      assertEquals(List.of(card.describe()), result.join().notReady());
      assertTrue(card.describe().contains("below " + address(port)), card.describe());
      assertEquals(0, clock.pending(), "nothing left polling for it");
      assertEquals(List.of("RESET_STARTED " + at + " flr", "RESET_FAILED " + at + " flr"),
          brief(drain(s)));

      h.resetEngine().functionReset(card, ResetMethod.FLR);
      clock.runAll();
      assertEquals(List.of(), brief(drain(s)), "a reset of a pulled card starts nothing");
      assertFalse(card.onBus());
    }
  }

  /**
   * An interrupt delivered as MSI or MSI-X says which vector: the Interrupt Message Number of
   * the port's PCI Express Capabilities register. INTx has none.
   */
  @Test
  void hotPlugInterruptsCarryTheirVector() {
    PciFunction port = h.slotPort(1);
    int exp = exp(port);
    int msi = port.model().layout().capability(CapabilityId.MSI);
    h.write(0, 1, 0, exp + PciExpress.SLOT_CONTROL, 2, PciExpress.SLTCTL_PCC
        | PciExpress.SLTCTL_ABPE | PciExpress.SLTCTL_HPIE);
    clock.runAll();
    try (Subscription s = farm.events().subscribe(EventFilter.all().inSlot(1)
        .ofTypes(EventType.INTERRUPT), 0, 100)) {
      h.hotPlug().pressAttentionButton(1);
      Event intx = drain(s).get(0);
      assertEquals(Map.of(DetailKey.INTERRUPT_KIND, "intx"), intx.details());
      h.write(0, 1, 0, exp + PciExpress.SLOT_STATUS, 2, PciExpress.SLTSTA_ABP);

      h.write(0, 1, 0, msi + Msi.CONTROL, 2, Msi.CONTROL_ENABLE);
      h.hotPlug().pressAttentionButton(1);
      assertEquals(Map.of(DetailKey.INTERRUPT_KIND, "msi", DetailKey.VECTOR, "0"),
          drain(s).get(0).details());
      h.write(0, 1, 0, exp + PciExpress.SLOT_STATUS, 2, PciExpress.SLTSTA_ABP);

      // The field the vector comes from (read-only to software; hardware sets it).
      port.config().hardwareUpdate(exp + PciExpress.CAPABILITIES, 2, PciExpress.CAP_IRQ_MASK,
          2 << PciExpress.CAP_IRQ_SHIFT);
      h.hotPlug().pressAttentionButton(1);
      assertEquals("2", drain(s).get(0).detail(DetailKey.VECTOR));
    }
  }

  /**
   * A bus reset hides the subtree while it runs, yet a subscriber filtering on a function below
   * sees its reset start as well as finish: events name a hidden function by the address it
   * last answered at.
   */
  @Test
  void aFunctionFilterSeesBothEndsOfABusReset() {
    try (Subscription s = farm.events().subscribe(EventFilter.all()
        .aboutFunction("0009:02:00.0"), 0, 100)) {
      h.write(0, 2, 0, Type1.BRIDGE_CONTROL, 2, Type1.BRIDGE_CTL_BUS_RESET);
      assertNull(h.lookup(2, 0), "hidden while the reset is asserted");
      h.write(0, 2, 0, Type1.BRIDGE_CONTROL, 2, 0);
      clock.runAll();
      assertEquals(List.of("RESET_STARTED 0009:02:00.0 bus", "READY 0009:02:00.0",
          "RESET_FINISHED 0009:02:00.0 bus"), brief(drain(s)));
    }
  }

  /**
   * The contract subscribers rely on: every RESET_STARTED of a function is followed by exactly
   * one RESET_FINISHED or RESET_FAILED carrying its reset_id before that function's next start,
   * and READY, at most once per reset, only for the function's latest reset. Driven by a seeded
   * mix of requested and register-driven resets, slot power off and on, orderly and surprise
   * removal, insertion, power faults and latch moves, with time advancing in between.
   */
  @Test
  void everyResetStartHasExactlyOneEnd() {
    Hierarchy x = create("mix", 12, """
        {"device":1,"model":"root-port-hotplug-acs","slot":1,"children":[{"device":0,"model":"nvme-ssd"}]},
        {"device":2,"model":"root-port-hotplug-acs","slot":2,"children":[{"device":0,"model":"gpu"}]},
        {"device":3,"model":"root-port-hotplug-acs","slot":3},
        {"device":4,"model":"root-port-acs","children":[{"device":0,"model":"nic-flr-hang"}]},
        {"device":5,"model":"root-port-acs","children":[
          {"device":0,"model":"switch-upstream-port","children":[
            {"device":0,"model":"switch-downstream-port","children":[{"device":0,"model":"nvme-ssd"}]},
            {"device":1,"model":"switch-downstream-port","children":[{"device":0,"model":"nvme-ssd-slow-flr"}]}]}]}""");
    List<String> cards = List.of("nvme-ssd", "gpu", "nic-flr-hang", "nvme-ssd-slow-flr");
    List<Set<ResetMethod>> methods = List.of(MethodSet.ANY, MethodSet.FUNC, MethodSet.LINK);
    try (Subscription s = farm.events().subscribe(EventFilter.all().inHierarchy("mix"), 0,
        1 << 20)) {
      SplittableRandom rnd = new SplittableRandom(20250101);
      for (int step = 0; step < 1500; step++) {
        List<PciFunction> all = x.functions();
        PciFunction f = all.get(rnd.nextInt(all.size()));
        int slot = 1 + rnd.nextInt(3);
        PciFunction slotPort = x.slotPort(slot);
        int sltctl = exp(slotPort) + PciExpress.SLOT_CONTROL;
        try {
          switch (rnd.nextInt(10)) {
            case 0, 1 -> {
              PciAddress a = f.address();
              if (a != null) {
                ResetTarget t = rnd.nextBoolean() ? new ResetTarget.Function(a)
                    : rnd.nextBoolean() ? new ResetTarget.Slot(slot) : new ResetTarget.Bus(a.bus());
                x.resets().reset(new ResetRequest(t, methods.get(rnd.nextInt(3)),
                    rnd.nextBoolean() ? ResetRequest.Mode.TRY : ResetRequest.Mode.WAIT,
                    rnd.nextInt(3) == 0 ? Duration.ofMillis(1 + rnd.nextInt(30)) : null,
                    rnd.nextBoolean(), Owner.HOST));
              }
            }
            case 2 -> {
              if (!f.isBridge() && f.model().flrCapable()) {
                int devctl = exp(f) + PciExpress.DEVICE_CONTROL;
                f.config().write(devctl, 2, f.config().read(devctl, 2) | PciExpress.DEVCTL_BCR_FLR);
              }
            }
            case 3 -> {
              if (f.isBridge()) {
                int bc = f.config().read(Type1.BRIDGE_CONTROL, 2);
                f.config().write(Type1.BRIDGE_CONTROL, 2, bc ^ Type1.BRIDGE_CTL_BUS_RESET);
              }
            }
            case 4 -> slotPort.config().write(sltctl, 2,
                slotPort.config().read(sltctl, 2) ^ PciExpress.SLTCTL_PCC);
            case 5 -> x.hotPlug().remove(slot);
            case 6 -> x.hotPlug().insert(slot, cards.get(rnd.nextInt(cards.size())), "");
            case 7 -> x.hotPlug().powerFault(slot);
            case 8 -> {
              if (rnd.nextBoolean()) {
                x.hotPlug().openMrl(slot);
              } else {
                x.hotPlug().closeMrl(slot);
              }
            }
            default -> clock.advance(Duration.ofMillis(rnd.nextInt(150)));
          }
        } catch (ResetException | HotPlugException expected) {
          // busy, no method, hidden target, empty slot, no latch: not what this test is about
        }
      }
      // Let everything end: bus resets released, latches closed, every slot powered again
      // (through off, which acknowledges a power fault), then all scheduled steps run.
      for (PciFunction f : x.functions()) {
        if (f.isBridge() && f.secondaryResetAsserted()) {
          f.config().write(Type1.BRIDGE_CONTROL, 2,
              f.config().read(Type1.BRIDGE_CONTROL, 2) & ~Type1.BRIDGE_CTL_BUS_RESET);
        }
      }
      for (int slot = 1; slot <= 3; slot++) {
        try {
          x.hotPlug().closeMrl(slot);
        } catch (HotPlugException noLatch) {
          // this slot has no retention latch sensor
        }
        PciFunction p = x.slotPort(slot);
        int sltctl = exp(p) + PciExpress.SLOT_CONTROL;
        p.config().write(sltctl, 2, p.config().read(sltctl, 2) & ~PciExpress.SLTCTL_PCC);
        p.config().write(sltctl, 2, p.config().read(sltctl, 2) | PciExpress.SLTCTL_PCC);
        p.config().write(sltctl, 2, p.config().read(sltctl, 2) & ~PciExpress.SLTCTL_PCC);
      }
      clock.runAll();

      List<Event> events = drain(s);
      assertOrdered(events);
      // Starts and ends are paired by reset_id, not by address: an end must carry the number
      // of a start that is still open, about the same function, with the same method.
      Map<String, Event> open = new HashMap<>(); // reset id -> its start
      Map<String, String> openAt = new HashMap<>(); // function -> its open reset's id
      Map<String, String> latest = new HashMap<>(); // function -> its latest reset's id
      Set<String> readied = new HashSet<>();
      List<String> violations = new ArrayList<>();
      Set<String> failures = new TreeSet<>();
      for (Event e : events) {
        String fn = e.function();
        String id = e.detail(DetailKey.RESET_ID);
        switch (e.type()) {
          case RESET_STARTED -> {
            if (fn.isEmpty() || id == null) {
              violations.add("a start about no function, or with no reset id: " + e);
            } else if (open.put(id, e) != null) {
              violations.add("a reset id started twice: " + e);
            } else if (openAt.put(fn, id) != null) {
              violations.add("started again before its reset ended: " + e);
            } else if (latest.containsKey(fn)
                && Long.parseLong(latest.get(fn)) >= Long.parseLong(id)) {
              violations.add("numbered before an earlier reset of the function: " + e);
            } else {
              latest.put(fn, id);
            }
          }
          case RESET_FINISHED, RESET_FAILED -> {
            Event start = id == null ? null : open.remove(id);
            if (start == null) {
              violations.add("an end without an open start: " + e);
            } else {
              if (!start.function().equals(fn) || !id.equals(openAt.remove(fn))) {
                violations.add("ends " + start + " about another function: " + e);
              }
              if (!start.detail(DetailKey.RESET_METHOD).equals(e.detail(DetailKey.RESET_METHOD))) {
                violations.add("ends " + start + " as another method: " + e);
              }
            }
            if (e.type() == EventType.RESET_FAILED) {
              failures.add(e.detail(DetailKey.REASON).replaceAll("[0-9]+ ms", "N ms"));
            }
          }
          case READY -> {
            if (id == null || !id.equals(latest.get(fn))) {
              violations.add("READY of a reset that is not the function's latest: " + e);
            } else if (!readied.add(id)) {
              violations.add("a second READY for one reset: " + e);
            }
          }
          default -> { }
        }
      }
      assertEquals(List.of(), violations);
      assertEquals(Map.of(), open, "resets that never ended");
      Map<EventType, Long> counts = events.stream()
          .collect(Collectors.groupingBy(Event::type, Collectors.counting()));
      assertTrue(counts.get(EventType.RESET_FINISHED) > 100, () -> "many resets: " + counts);
      assertTrue(failures.stream().anyMatch(r -> r.contains("removed"))
          && failures.stream().anyMatch(r -> r.contains("never comes back"))
          && failures.stream().anyMatch(r -> r.contains("deadline")),
          () -> "the mix reached every way a reset fails: " + failures);
      assertTrue(counts.keySet().containsAll(Set.of(EventType.READY, EventType.ROUTING_CHANGED,
          EventType.ISOLATION_GROUPS_CHANGED, EventType.SLOT_PRESENCE_CHANGED,
          EventType.POWER_FAULT, EventType.LINK_DOWN)), () -> counts.toString());
    }
  }
}
