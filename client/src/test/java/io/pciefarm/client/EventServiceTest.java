package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.pciefarm.events.EventLog;
import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.proto.v1.Event;
import io.pciefarm.proto.v1.EventFilter;
import io.pciefarm.proto.v1.EventStreamItem;
import io.pciefarm.proto.v1.EventType;
import io.pciefarm.proto.v1.Gap;
import io.pciefarm.proto.v1.GapCause;
import io.pciefarm.proto.v1.ResetResponse;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.Msi;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.Type1;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciFunction;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * EventService end to end over real Netty: the Linux hot-plug flow as a stream of events
 * (operator actions plus config writes, as pciehp makes them), filters, resuming, gaps, and
 * the subscription's life. Each test builds its own instant (time scale 0) hierarchy.
 */
class EventServiceTest extends LiveServer {
  /** Collects what a subscription delivers; waits boundedly for what a test expects. */
  static final class Collector implements Consumer<EventStreamItem> {
    final BlockingQueue<EventStreamItem> items = new LinkedBlockingQueue<>();
    final List<Event> seen = new ArrayList<>();

    @Override
    public void accept(EventStreamItem item) {
      items.add(item);
    }

    EventStreamItem next() throws InterruptedException {
      EventStreamItem i = items.poll(10, TimeUnit.SECONDS);
      assertNotNull(i, "an item within 10 s; events so far: " + types(seen));
      if (i.hasEvent()) {
        seen.add(i.getEvent());
      }
      return i;
    }

    /** Every event up to and including the first that {@code last} matches. */
    List<Event> until(Predicate<Event> last) throws InterruptedException {
      List<Event> out = new ArrayList<>();
      while (true) {
        EventStreamItem i = next();
        assertTrue(i.hasEvent(), "no gap expected: " + i);
        out.add(i.getEvent());
        if (last.test(i.getEvent())) {
          return out;
        }
      }
    }

    List<Event> until(EventType type) throws InterruptedException {
      return until(e -> e.getType() == type);
    }
  }

  static List<EventType> types(List<Event> events) {
    return events.stream().map(Event::getType).toList();
  }

  private static String name(Via via, String test) {
    return "test-ev-" + test + "-" + via.name().toLowerCase();
  }

  /** Slot 1 empty, slot 2 holding a drive, and a drive below a plain root port. */
  private Hierarchy rack(String name, int segment) {
    return server.farm().create(TopologyFiles.parse("""
        {"name":"%s","segment":%d,"timeScale":0,"devices":[
          {"device":1,"model":"root-port-hotplug-acs","slot":1},
          {"device":2,"model":"root-port-hotplug-acs","slot":2,
           "children":[{"device":0,"model":"nvme-ssd"}]},
          {"device":3,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd"}]}]}"""
        .formatted(name, segment), name));
  }

  private static int segment(Via via, int base) {
    return base + (via == Via.TCP ? 0 : 1);
  }

  /**
   * The pciehp flow: the OS enables slot events, a card goes in (presence + interrupt), the OS
   * powers the slot through Slot Control (command completed, power, link up), the card answers,
   * and is then yanked (a surprise removal, link down).
   */
  @ParameterizedTest
  @EnumSource(Via.class)
  void theLinuxHotPlugFlowAsEvents(Via via) throws Exception {
    String n = name(via, "flow");
    Hierarchy h = rack(n, segment(via, 0x540));
    Collector c = new Collector();
    try (EventSubscription sub = client(via).hierarchy(n).subscribe(0, c)) {
      PciFunction engine = h.slotPort(1);
      String portAddress = engine.address().toString();
      int exp = engine.model().layout().capability(CapabilityId.EXP);
      int msi = engine.model().layout().capability(CapabilityId.MSI);
      FunctionHandle port = client(via).function(portAddress);
      int sltctl = exp + PciExpress.SLOT_CONTROL;
      int sltsta = exp + PciExpress.SLOT_STATUS;

      // pciehp_init: MSI on, every slot event enabled, hot-plug interrupts on.
      port.writeWord(msi + Msi.CONTROL, Msi.CONTROL_ENABLE);
      port.writeWord(sltctl, port.readWord(sltctl) | PciExpress.SLTCTL_ABPE
          | PciExpress.SLTCTL_PFDE | PciExpress.SLTCTL_MRLSCE | PciExpress.SLTCTL_PDCE
          | PciExpress.SLTCTL_CCIE | PciExpress.SLTCTL_HPIE | PciExpress.SLTCTL_DLLSCE);
      // The Slot Control write is a command: Command Completed, whose interrupt is enabled now.
      assertEquals(List.of(EventType.EVENT_TYPE_COMMAND_COMPLETED,
          EventType.EVENT_TYPE_INTERRUPT), types(c.until(EventType.EVENT_TYPE_INTERRUPT)));
      port.writeWord(sltsta, PciExpress.SLTSTA_EVENTS_RW1C);

      // A card goes in: Presence Detect Changed, and the interrupt it raises.
      client(via).slot(n, 1).insert("nvme-ssd");
      List<Event> insert = c.until(EventType.EVENT_TYPE_INTERRUPT);
      Event presence = insert.stream()
          .filter(e -> e.getType() == EventType.EVENT_TYPE_SLOT_PRESENCE_CHANGED).findFirst()
          .orElseThrow(() -> new AssertionError(types(insert)));
      assertEquals(Map.of("present", "true", "model", "nvme-ssd", "surprise", "false"),
          presence.getDetailsMap());
      assertEquals(portAddress, presence.getFunction(), "slot events are about the port");
      assertEquals(1, presence.getSlot());
      assertEquals(n, presence.getHierarchy());
      assertEquals(h.segment(), presence.getSegment());
      Event interrupt = insert.get(insert.size() - 1);
      assertEquals("msi", interrupt.getDetailsOrThrow("interrupt_kind"));

      // The OS powers the slot: clear PDC, then Power Controller Control on, power LED on.
      port.writeWord(sltsta, PciExpress.SLTSTA_PDC);
      port.writeWord(sltctl, (port.readWord(sltctl) & ~PciExpress.SLTCTL_PCC
          & ~PciExpress.SLTCTL_PIC_MASK) | PciExpress.INDICATOR_ON << PciExpress.SLTCTL_PIC_SHIFT);
      List<Event> power = new ArrayList<>();
      for (EventType t : List.of(EventType.EVENT_TYPE_SLOT_POWER_CHANGED,
          EventType.EVENT_TYPE_LINK_UP, EventType.EVENT_TYPE_COMMAND_COMPLETED)) {
        if (power.stream().noneMatch(e -> e.getType() == t)) {
          power.addAll(c.until(t));
        }
      }
      Event on = power.stream().filter(e -> e.getType()
          == EventType.EVENT_TYPE_SLOT_POWER_CHANGED).findFirst().orElseThrow();
      assertEquals("on", on.getDetailsOrThrow("power"));
      assertTrue(types(power).contains(EventType.EVENT_TYPE_SLOT_INDICATOR_CHANGED),
          types(power).toString());
      int bus = engine.secondaryBusNumber();
      assertEquals(0x144d, client(via).function(String.format("%04x:%02x:00.0", h.segment(), bus))
          .readWord(0), "the card answers");

      // Yanked while powered: a surprise removal, the link drops.
      client(via).slot(n, 1).remove();
      List<Event> yank = c.until(EventType.EVENT_TYPE_SLOT_PRESENCE_CHANGED);
      assertEquals("true", yank.get(yank.size() - 1).getDetailsOrThrow("surprise"));
      assertEquals("false", yank.get(yank.size() - 1).getDetailsOrThrow("present"));
      if (!types(yank).contains(EventType.EVENT_TYPE_LINK_DOWN)) {
        c.until(EventType.EVENT_TYPE_LINK_DOWN);
      }
      // One hierarchy's events come in sequence order, with no number skipped.
      for (int i = 1; i < c.seen.size(); i++) {
        assertEquals(c.seen.get(i - 1).getSequence() + 1, c.seen.get(i).getSequence());
      }
      assertTrue(sub.isActive());
    } finally {
      server.farm().delete(n);
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void filtersBySlotAndType(Via via) throws Exception {
    String n = name(via, "filter");
    Hierarchy h = rack(n, segment(via, 0x542));
    PcieFarmClient client = client(via);
    Collector slot2 = new Collector();
    Collector buttons = new Collector();
    Collector anywhereSlot2 = new Collector();
    try (EventSubscription a = client.subscribe(EventFilter.newBuilder().setHierarchy(n)
            .setSlot(2).build(), 0, slot2);
        EventSubscription d = client.subscribe(EventFilter.newBuilder().setHierarchy(n)
            .addTypes(EventType.EVENT_TYPE_ATTENTION_BUTTON).build(), 0, buttons);
        EventSubscription e = client.subscribe(EventFilter.newBuilder().setSlot(2)
            .addTypes(EventType.EVENT_TYPE_MRL_CHANGED).build(), 0, anywhereSlot2)) {
      client.slot(n, 1).pressAttentionButton();
      client.slot(n, 2).pressAttentionButton();
      client.slot(n, 2).openMrl();
      client.slot(n, 2).closeMrl();
      client.slot(n, 1).pressAttentionButton();

      List<Event> s2 = slot2.until(x -> x.getType() == EventType.EVENT_TYPE_MRL_CHANGED
          && x.getDetailsOrThrow("mrl").equals("closed"));
      assertTrue(s2.stream().allMatch(x -> x.getSlot() == 2), types(s2).toString());
      assertTrue(types(s2).contains(EventType.EVENT_TYPE_ATTENTION_BUTTON));

      List<Event> bt = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        bt.addAll(buttons.until(EventType.EVENT_TYPE_ATTENTION_BUTTON));
      }
      assertEquals(List.of(1, 2, 1), bt.stream().map(Event::getSlot).toList());

      List<Event> mrl = new ArrayList<>();
      mrl.addAll(anywhereSlot2.until(EventType.EVENT_TYPE_MRL_CHANGED));
      mrl.addAll(anywhereSlot2.until(EventType.EVENT_TYPE_MRL_CHANGED));
      assertEquals(List.of("open", "closed"), mrl.stream()
          .map(x -> x.getDetailsOrThrow("mrl")).toList());
      assertTrue(mrl.stream().allMatch(x -> x.getHierarchy().equals(n)));
    } finally {
      server.farm().delete(n);
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void aFunctionFilterSeesOnlyThatFunction(Via via) throws Exception {
    String n = name(via, "fn");
    Hierarchy h = rack(n, segment(via, 0x544));
    String port1 = h.slotPort(1).address().toString();
    Collector c = new Collector();
    try (EventSubscription s = client(via).subscribe(EventFilter.newBuilder().setHierarchy(n)
        .setFunction(port1).build(), 0, c)) {
      client(via).slot(n, 2).pressAttentionButton();
      client(via).slot(n, 1).pressAttentionButton();
      Event only = c.until(EventType.EVENT_TYPE_ATTENTION_BUTTON).get(0);
      assertEquals(port1, only.getFunction());
      assertEquals(1, only.getSlot());
    } finally {
      server.farm().delete(n);
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void resumingReplaysFromASequenceThenGoesLive(Via via) throws Exception {
    String n = name(via, "resume");
    Hierarchy h = rack(n, segment(via, 0x546));
    try {
      client(via).slot(n, 1).pressAttentionButton();
      client(via).slot(n, 2).pressAttentionButton();
      EventLog log = server.farm().events().log(n).orElseThrow();
      long last = log.lastSequence();

      Collector all = new Collector();
      try (EventSubscription s = client(via).hierarchy(n).subscribe(1, all)) {
        List<Event> replay = all.until(e -> e.getSequence() == last);
        assertEquals(EventType.EVENT_TYPE_HIERARCHY_CREATED, replay.get(0).getType());
        for (int i = 0; i < replay.size(); i++) {
          assertEquals(i + 1, replay.get(i).getSequence(), "the whole history, in order");
        }
        client(via).slot(n, 2).pressAttentionButton();
        assertEquals(last + 1, all.until(EventType.EVENT_TYPE_ATTENTION_BUTTON).get(0)
            .getSequence(), "then live, with nothing missed in between");
      }

      Collector tail = new Collector();
      try (EventSubscription s = client(via).hierarchy(n).subscribe(last, tail)) {
        Event first = tail.until(e -> true).get(0);
        assertEquals(last, first.getSequence());
        assertEquals(EventType.EVENT_TYPE_ATTENTION_BUTTON, first.getType());
        assertEquals(2, first.getSlot());
      }
      // From the sequence after the newest: nothing to replay, but accepted.
      client(via).hierarchy(n).subscribe(log.lastSequence() + 1, e -> { }).close();

      // Older than the history holds: the stream starts with a gap counting what is gone.
      for (int i = 0; i < log.historyCapacity() + 10; i++) {
        log.publish(io.pciefarm.events.EventType.INTERRUPT, null, 0, Map.of());
      }
      Collector old = new Collector();
      try (EventSubscription s = client(via).hierarchy(n).subscribe(1, old)) {
        EventStreamItem first = old.next();
        assertTrue(first.hasGap(), first.toString());
        assertEquals(GapCause.GAP_CAUSE_HISTORY_EXPIRED, first.getGap().getCause());
        assertEquals(log.oldestRetained() - 1, first.getGap().getMissed());
        assertEquals(log.oldestRetained(), old.next().getEvent().getSequence());
      }
    } finally {
      server.farm().delete(n);
    }
  }

  /**
   * A subscriber that stops reading fills the transport's flow-control window, then its small
   * buffer; the server then drops events into a gap. Every event is either delivered or
   * counted in a gap.
   */
  @ParameterizedTest
  @EnumSource(Via.class)
  void aSlowSubscriberGetsAGapCountingWhatItMissed(Via via) throws Exception {
    String n = name(via, "slow");
    rack(n, segment(via, 0x548));
    CountDownLatch reading = new CountDownLatch(1);
    Collector c = new Collector();
    try (EventSubscription s = client(via).subscribe(EventFilter.newBuilder().setHierarchy(n)
        .addTypes(EventType.EVENT_TYPE_INTERRUPT).build(), 0, 4, item -> {
          try {
            reading.await(); // not reading until the test says so
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          c.accept(item);
        })) {
      EventLog log = server.farm().events().log(n).orElseThrow();
      int published = 60_000;
      for (int i = 0; i < published; i++) {
        log.publish(io.pciefarm.events.EventType.INTERRUPT, null, 0,
            Map.of("interrupt_kind", "msi"));
      }
      reading.countDown();
      long delivered = 0;
      long missed = 0;
      long lastSequence = 0;
      boolean overflow = false;
      while (delivered + missed < published) {
        EventStreamItem item = c.next();
        if (item.hasGap()) {
          Gap g = item.getGap();
          assertEquals(GapCause.GAP_CAUSE_BUFFER_OVERFLOW, g.getCause());
          assertTrue(g.getMissed() >= 1);
          missed += g.getMissed();
          overflow = true;
        } else {
          assertTrue(item.getEvent().getSequence() > lastSequence, "in order");
          lastSequence = item.getEvent().getSequence();
          delivered++;
        }
      }
      assertTrue(overflow, "the buffer of 4 overflowed");
      assertEquals(published, delivered + missed, "every event delivered or counted once");
      assertTrue(s.isActive(), "a gap does not end the stream");
    } finally {
      server.farm().delete(n);
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void cancellingClosesTheServersSubscription(Via via) throws Exception {
    int bus = server.farm().events().subscriptionCount();
    int streams = server.openEventStreams();
    EventSubscription s = client(via).subscribe(EventFilter.getDefaultInstance(), 0, e -> { });
    assertEquals(bus + 1, server.farm().events().subscriptionCount(), "live when subscribe returns");
    assertEquals(streams + 1, server.openEventStreams());
    s.close();
    ResetServiceTest.await("the server closes the subscription",
        () -> server.farm().events().subscriptionCount() == bus
            && server.openEventStreams() == streams);
    s.done().get(10, TimeUnit.SECONDS);
    assertFalse(s.isActive());
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void aResetsEventSequenceResumesItsEvents(Via via) throws Exception {
    String n = name(via, "reset");
    Hierarchy h = rack(n, segment(via, 0x54a));
    try {
      String drive = String.format("%04x:%02x:00.0", h.segment(),
          h.lookup(0, 3 << 3).secondaryBusNumber());
      ResetResponse r = client(via).reset(ResetSpec.function(drive).methods("flr"));
      Collector c = new Collector();
      try (EventSubscription s = client(via).subscribe(EventFilter.newBuilder()
          .setHierarchy(n).setFunction(drive).build(), r.getEventSequence(), c)) {
        List<Event> events = c.until(EventType.EVENT_TYPE_RESET_FINISHED);
        assertEquals(EventType.EVENT_TYPE_RESET_STARTED, events.get(0).getType());
        assertEquals(r.getEventSequence(), events.get(0).getSequence());
        assertEquals("flr", events.get(0).getDetailsOrThrow("reset_method"));
      }
    } finally {
      server.farm().delete(n);
    }
  }

  /**
   * A Config Write of a bridge's bus numbers, made over gRPC, reaches a subscriber as one
   * ROUTING_CHANGED about that bridge, and the drive behind it answers at its new bus.
   */
  @ParameterizedTest
  @EnumSource(Via.class)
  void aBusNumberWriteIsSeenAsRoutingChanged(Via via) throws Exception {
    String n = name(via, "route");
    Hierarchy h = rack(n, segment(via, 0x54c));
    try {
      PciFunction port = h.lookup(0, 3 << 3);
      String bridge = port.address().toString();
      int oldBus = port.secondaryBusNumber();
      int newBus = 0x40;
      Collector c = new Collector();
      try (EventSubscription s = client(via).subscribe(EventFilter.newBuilder().setHierarchy(n)
          .addTypes(EventType.EVENT_TYPE_ROUTING_CHANGED)
          .addTypes(EventType.EVENT_TYPE_ATTENTION_BUTTON).build(), 0, c)) {
        // Secondary and Subordinate together, as one dword of the bus-number register.
        int busNumbers = client(via).function(bridge).readDword(Type1.PRIMARY_BUS);
        client(via).function(bridge).writeDword(Type1.PRIMARY_BUS,
            (busNumbers & 0xFF0000FF) | newBus << 8 | newBus << 16);
        Event routed = c.until(EventType.EVENT_TYPE_ROUTING_CHANGED).get(0);
        assertEquals(bridge, routed.getFunction(), "about the bridge that was written");
        assertEquals(n, routed.getHierarchy());
        assertEquals(0x144d, client(via).function(String.format("%04x:%02x:00.0", h.segment(),
            newBus)).readWord(0), "the drive answers at its new bus");
        assertEquals(0xFFFF, client(via).function(String.format("%04x:%02x:00.0", h.segment(),
            oldBus)).readWord(0), "and nothing at the old one");
        // A marker after the write: whatever the write published comes before it.
        client(via).slot(n, 1).pressAttentionButton();
        assertEquals(List.of(EventType.EVENT_TYPE_ATTENTION_BUTTON),
            types(c.until(EventType.EVENT_TYPE_ATTENTION_BUTTON)), "one write, one event");
      }
    } finally {
      server.farm().delete(n);
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void badSubscriptionsAreRefused(Via via) {
    PcieFarmClient c = client(via);
    expect(Status.Code.NOT_FOUND, () -> c.subscribe(EventFilter.newBuilder()
        .setHierarchy("no-such-hierarchy").build(), 0, e -> { }));
    PcieFarmException fn = expect(Status.Code.INVALID_ARGUMENT, () -> c.subscribe(
        EventFilter.newBuilder().setFunction("03:00").build(), 0, e -> { }));
    assertEquals(List.of("filter.function"), fn.badFields());
    expect(Status.Code.INVALID_ARGUMENT, () -> c.subscribe(EventFilter.newBuilder()
        .addTypesValue(99).build(), 0, e -> { }));
    expect(Status.Code.INVALID_ARGUMENT, () -> c.subscribe(EventFilter.newBuilder()
        .addTypes(EventType.EVENT_TYPE_UNSPECIFIED).build(), 0, e -> { }));
    expect(Status.Code.INVALID_ARGUMENT, () -> c.subscribe(EventFilter.newBuilder()
        .setSlot(9000).build(), 0, e -> { }));
    expect(Status.Code.FAILED_PRECONDITION, () -> c.subscribe(
        EventFilter.getDefaultInstance(), 5, e -> { }));
    expect(Status.Code.FAILED_PRECONDITION, () -> c.subscribe(EventFilter.newBuilder()
        .setHierarchy("storage-switch").build(), 1_000_000, e -> { }));
    expect(Status.Code.INVALID_ARGUMENT, () -> c.subscribe(EventFilter.newBuilder()
        .setHierarchy("storage-switch").build(), -1, e -> { }));
    expect(Status.Code.RESOURCE_EXHAUSTED, () -> c.subscribe(EventFilter.getDefaultInstance(),
        0, 1 << 20, e -> { }));
  }
}
