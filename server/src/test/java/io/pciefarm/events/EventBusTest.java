package io.pciefarm.events;

import static io.pciefarm.events.Streams.NVME;
import static io.pciefarm.events.Streams.PORT;
import static io.pciefarm.events.Streams.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.topology.PciAddress;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventBusTest {
  private final EventBus bus = new EventBus(new ManualClock(T0), 64);

  private static List<String> describe(List<StreamItem> items) {
    return Streams.events(items).stream().map(e -> e.hierarchy() + "#" + e.sequence() + " "
        + e.type()).toList();
  }

  @Test
  void registeringPublishesCreatedAsSequenceOne() {
    Subscription all = bus.subscribe(EventFilter.all(), 0, 16);
    EventLog log = bus.register("lab", 3);
    assertSame(log, bus.log("lab").orElseThrow());
    List<Event> events = Streams.events(Streams.drain(all));
    assertEquals(1, events.size());
    assertEquals(EventType.HIERARCHY_CREATED, events.get(0).type());
    assertEquals(1, events.get(0).sequence());
    assertEquals(3, events.get(0).segment());
    assertThrows(IllegalArgumentException.class, () -> bus.register("lab", 4));
    assertThrows(IllegalArgumentException.class, () -> bus.register("", 4));
    assertThrows(IllegalArgumentException.class, () -> bus.register("far", 0x10000));
  }

  @Test
  void unregisteringPublishesDeletedLastAndForgetsTheLog() {
    Subscription all = bus.subscribe(EventFilter.all(), 0, 16);
    EventLog log = bus.register("lab", 0);
    log.publish(EventType.LINK_UP, PORT, 1);
    assertTrue(bus.unregister("lab"));
    assertFalse(bus.unregister("lab"));
    assertTrue(bus.log("lab").isEmpty());
    assertEquals(List.of("lab#1 HIERARCHY_CREATED", "lab#2 LINK_UP", "lab#3 HIERARCHY_DELETED"),
        describe(Streams.drain(all)));
    assertFalse(all.isClosed(), "subscriptions outlive hierarchies");
  }

  @Test
  void subscriptionsFollowHierarchiesRegisteredLaterAndReRegistered() {
    Subscription lab = bus.subscribe(EventFilter.all().inHierarchy("lab"), 0, 16);
    Subscription all = bus.subscribe(EventFilter.all(), 0, 16);
    bus.register("lab", 0).publish(EventType.INTERRUPT, NVME, 0);
    bus.register("other", 1).publish(EventType.INTERRUPT, NVME, 0);
    bus.unregister("lab");
    bus.register("lab", 0).publish(EventType.INTERRUPT, NVME, 0);
    assertEquals(List.of("lab#1 HIERARCHY_CREATED", "lab#2 INTERRUPT",
        "lab#3 HIERARCHY_DELETED", "lab#1 HIERARCHY_CREATED", "lab#2 INTERRUPT"),
        describe(Streams.drain(lab)), "a re-registered hierarchy starts again at 1");
    assertEquals(List.of("lab#1 HIERARCHY_CREATED", "lab#2 INTERRUPT", "other#1 HIERARCHY_CREATED",
        "other#2 INTERRUPT", "lab#3 HIERARCHY_DELETED", "lab#1 HIERARCHY_CREATED",
        "lab#2 INTERRUPT"), describe(Streams.drain(all)));
  }

  @Test
  void aSubscriberToAllGetsEachHierarchyInItsOwnOrder() {
    Subscription all = bus.subscribe(EventFilter.all(), 0, 64);
    EventLog a = bus.register("a", 0);
    EventLog b = bus.register("b", 1);
    for (int i = 0; i < 5; i++) {
      a.publish(EventType.INTERRUPT, NVME, 0);
      b.publish(EventType.INTERRUPT, NVME, 0);
      b.publish(EventType.INTERRUPT, NVME, 0);
    }
    List<Event> events = Streams.events(Streams.drain(all));
    assertEquals(Streams.range(1, 6), events.stream().filter(e -> e.hierarchy().equals("a"))
        .map(Event::sequence).toList());
    assertEquals(Streams.range(1, 11), events.stream().filter(e -> e.hierarchy().equals("b"))
        .map(Event::sequence).toList());
  }

  @Test
  void filtersByHierarchy() {
    EventLog a = bus.register("a", 0);
    EventLog b = bus.register("b", 1);
    Subscription onlyB = bus.subscribe(EventFilter.all().inHierarchy("b"), 0, 16);
    a.publish(EventType.INTERRUPT, NVME, 0);
    Event mine = b.publish(EventType.INTERRUPT, NVME, 0);
    assertEquals(List.of(mine), Streams.drain(onlyB));
  }

  @Test
  void filtersBySlot() {
    EventLog a = bus.register("a", 0);
    EventLog b = bus.register("b", 1);
    Subscription slot3 = bus.subscribe(EventFilter.all().inSlot(3), 0, 16);
    Subscription slot3InA = bus.subscribe(EventFilter.all().inHierarchy("a").inSlot(3), 0, 16);
    Event portEvent = a.publish(EventType.SLOT_POWER_CHANGED, PORT, 3,
        Map.of(DetailKey.POWER, "on"));
    Event deviceEvent = a.publish(EventType.RESET_STARTED, NVME, 3,
        Map.of(DetailKey.RESET_METHOD, "flr"));
    a.publish(EventType.SLOT_POWER_CHANGED, PciAddress.parse("0000:00:1d.0"), 4);
    a.publish(EventType.ISOLATION_GROUPS_CHANGED, NVME, 0);
    Event other = b.publish(EventType.LINK_UP, PORT, 3);
    assertEquals(List.of(portEvent, deviceEvent, other), Streams.drain(slot3),
        "slot numbers are per hierarchy: without one, slot 3 of each");
    assertEquals(List.of(portEvent, deviceEvent), Streams.drain(slot3InA));
  }

  @Test
  void filtersByFunction() {
    EventLog a = bus.register("a", 0);
    Subscription port = bus.subscribe(EventFilter.all().aboutFunction(PORT), 0, 16);
    Subscription nvme = bus.subscribe(EventFilter.all().aboutFunction("03:00.0"), 0, 16);
    Event link = a.publish(EventType.LINK_DOWN, PORT, 1);
    Event reset = a.publish(EventType.RESET_FINISHED, NVME, 1);
    a.publish(EventType.ROUTING_CHANGED, null, 0);
    assertEquals(List.of(link), Streams.drain(port), "a port's link events carry its address");
    assertEquals(List.of(reset), Streams.drain(nvme));
  }

  @Test
  void filtersByType() {
    EventLog a = bus.register("a", 0);
    Subscription owners = bus.subscribe(EventFilter.all().ofTypes(EventType.OWNER_CHANGED), 0,
        16);
    a.publish(EventType.RESET_STARTED, NVME, 0);
    Event handed = a.publish(EventType.OWNER_CHANGED, NVME, 0,
        Map.of(DetailKey.OLD_OWNER, "", DetailKey.NEW_OWNER, "vm-7"));
    assertEquals(List.of(handed), Streams.drain(owners));
  }

  @Test
  void aLiveSubscriberMissesWhatCameBefore() {
    EventLog a = bus.register("a", 0);
    a.publish(EventType.INTERRUPT, NVME, 0);
    Subscription s = bus.subscribe(EventFilter.all(), 0, 16);
    assertEquals(List.of(), Streams.drain(s));
    Event next = a.publish(EventType.INTERRUPT, NVME, 0);
    assertEquals(List.of(next), Streams.drain(s));
  }
}
