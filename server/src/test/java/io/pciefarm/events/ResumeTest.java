package io.pciefarm.events;

import static io.pciefarm.events.Streams.NVME;
import static io.pciefarm.events.Streams.PORT;
import static io.pciefarm.events.Streams.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class ResumeTest {
  private static final EventFilter LAB = EventFilter.all().inHierarchy("lab");

  /** A bus with history 8 and hierarchy "lab" at sequence {@code last}. */
  private static EventBus busAt(long last) {
    EventBus bus = new EventBus(new ManualClock(T0), 8);
    EventLog log = bus.register("lab", 0);
    while (log.lastSequence() < last) {
      log.publish(EventType.INTERRUPT, NVME, 0);
    }
    return bus;
  }

  private static EventLog lab(EventBus bus) {
    return bus.log("lab").orElseThrow();
  }

  @Test
  void fromASequenceStillHeldReplaysExactlyFromThere() {
    EventBus bus = busAt(6);
    Subscription s = bus.subscribe(LAB, 3, 4);
    lab(bus).publish(EventType.LINK_UP, PORT, 1);
    List<StreamItem> items = Streams.drain(s);
    assertEquals(List.of(), Streams.gaps(items));
    assertEquals(Streams.range(3, 7), Streams.sequences(items),
        "the replay (3..6) does not count against the buffer of 4, live 7 follows");
  }

  @Test
  void fromTheVeryStart() {
    EventBus bus = busAt(5);
    List<StreamItem> items = Streams.drain(bus.subscribe(LAB, 1, 4));
    assertEquals(Streams.range(1, 5), Streams.sequences(items));
    assertEquals(EventType.HIERARCHY_CREATED, Streams.events(items).get(0).type());
  }

  @Test
  void fromASequenceOlderThanTheHistoryStartsWithTheExactGap() {
    EventBus bus = busAt(30); // holds 23..30
    Subscription s = bus.subscribe(LAB, 5, 4);
    List<StreamItem> items = Streams.drain(s);
    assertEquals(new Gap(Gap.Cause.HISTORY_EXPIRED, 18), items.get(0), "5..22 are gone");
    assertEquals(Streams.range(23, 30), Streams.sequences(items));
    assertEquals(1, Streams.gaps(items).size());
  }

  @Test
  void fromZeroIsLiveOnly() {
    EventBus bus = busAt(6);
    Subscription s = bus.subscribe(LAB, 0, 4);
    assertEquals(List.of(), Streams.drain(s));
    lab(bus).publish(EventType.LINK_DOWN, PORT, 1);
    assertEquals(List.of(7L), Streams.sequences(Streams.drain(s)));
  }

  @Test
  void fromTheNextSequenceIsLiveWithoutReplay() {
    EventBus bus = busAt(6);
    Subscription s = bus.subscribe(LAB, 7, 4);
    assertEquals(List.of(), Streams.drain(s));
    lab(bus).publish(EventType.LINK_DOWN, PORT, 1);
    assertEquals(List.of(7L), Streams.sequences(Streams.drain(s)));
  }

  @Test
  void aFilteredResumeReplaysOnlyMatchesButCountsExpiredSequenceNumbers() {
    EventBus bus = new EventBus(new ManualClock(T0), 8);
    EventLog log = bus.register("lab", 0);
    for (int i = 0; i < 15; i++) { // 2..16; even numbers are about slot 1
      log.publish(EventType.INTERRUPT, NVME, i % 2 == 0 ? 1 : 2);
    }
    List<StreamItem> items = Streams.drain(bus.subscribe(LAB.inSlot(1), 2, 4));
    assertEquals(new Gap(Gap.Cause.HISTORY_EXPIRED, 7), items.get(0), "2..8 are gone");
    assertEquals(List.of(10L, 12L, 14L, 16L), Streams.sequences(items));
  }

  @Test
  void rejectsResumePointsItCannotHonour() {
    EventBus bus = busAt(6);
    ResumeRejectedException future = assertThrows(ResumeRejectedException.class,
        () -> bus.subscribe(LAB, 8, 4));
    assertEquals(ResumeRejectedException.Reason.NOT_YET_PUBLISHED, future.reason());
    assertTrue(future.getMessage().contains("newest event is 6"), future.getMessage());
    assertEquals(ResumeRejectedException.Reason.NEEDS_ONE_HIERARCHY, assertThrows(
        ResumeRejectedException.class, () -> bus.subscribe(EventFilter.all(), 3, 4)).reason());
    assertEquals(ResumeRejectedException.Reason.UNKNOWN_HIERARCHY, assertThrows(
        ResumeRejectedException.class,
        () -> bus.subscribe(EventFilter.all().inHierarchy("nope"), 3, 4)).reason());
    assertEquals(0, bus.subscriptionCount(), "a rejected subscription is not left attached");
  }

  @Test
  void aResumedSubscriptionCanOverflowAfterItsReplay() {
    EventBus bus = busAt(4);
    Subscription s = bus.subscribe(LAB, 2, 2);
    for (int i = 0; i < 5; i++) {
      lab(bus).publish(EventType.INTERRUPT, NVME, 0); // 5..9; 7..9 overflow
    }
    List<StreamItem> items = Streams.drain(s);
    assertEquals(List.of(2L, 3L, 4L, 5L, 6L), Streams.sequences(items));
    assertEquals(new Gap(Gap.Cause.BUFFER_OVERFLOW, 3), items.get(items.size() - 1));
  }

  /**
   * The lock-free half of a resume reads the history; publishers then overwrite what it still
   * needs before the locked half runs. The locked half must notice and start over from what is
   * held, with the gap counting exactly what is gone.
   */
  @Test
  void aReadOverrunBeforeTheLockIsRedoneUnderIt() {
    EventBus bus = busAt(6);
    EventLog log = lab(bus);
    Subscription s = new Subscription(bus, LAB, 64, null);
    EventLog.HistoryRead read = log.readHistory(2, LAB);
    assertTrue(read.intact());
    assertEquals(Streams.range(2, 6), read.events().stream().map(Event::sequence).toList());
    for (int i = 0; i < 10; i++) {
      log.publish(EventType.INTERRUPT, NVME, 0); // 7..16: history now holds 9..16
    }
    s.replay(log.attach(s, 2, read));
    log.publish(EventType.INTERRUPT, NVME, 0);
    List<StreamItem> items = Streams.drain(s);
    assertEquals(new Gap(Gap.Cause.HISTORY_EXPIRED, 7), items.get(0), "2..8 are gone");
    assertEquals(Streams.range(9, 17), Streams.sequences(items));
  }

  @Test
  void eventsPublishedBetweenTheHalvesAreCopiedUnderTheLock() {
    EventBus bus = busAt(6);
    EventLog log = lab(bus);
    Subscription s = new Subscription(bus, LAB, 64, null);
    EventLog.HistoryRead read = log.readHistory(3, LAB);
    log.publish(EventType.INTERRUPT, NVME, 0);
    log.publish(EventType.INTERRUPT, NVME, 0); // 7, 8: 3..8 all still held
    s.replay(log.attach(s, 3, read));
    log.publish(EventType.INTERRUPT, NVME, 0);
    List<StreamItem> items = Streams.drain(s);
    assertEquals(List.of(), Streams.gaps(items));
    assertEquals(Streams.range(3, 9), Streams.sequences(items));
  }

  @Test
  void aReadThatFoundTheHistoryOverwrittenIsRedoneUnderTheLock() {
    EventBus bus = busAt(12); // holds 5..12
    EventLog log = lab(bus);
    Subscription s = new Subscription(bus, LAB, 64, null);
    // A read that was overrun: whatever prefix it collected is void.
    List<Event> voided = new ArrayList<>(List.of(new Event("lab", 0, 99, T0,
        EventType.POWER_FAULT, "", 0, Map.of())));
    s.replay(log.attach(s, 3, new EventLog.HistoryRead(3, 9, false, voided)));
    List<StreamItem> items = Streams.drain(s);
    assertEquals(new Gap(Gap.Cause.HISTORY_EXPIRED, 2), items.get(0), "3 and 4 are gone");
    assertEquals(Streams.range(5, 12), Streams.sequences(items));
  }

  /**
   * Resumes again and again while a publisher races ahead through a history of 16, so the
   * lock-free copy is regularly overrun and redone under the lock. Each stream must be exactly:
   * an expired gap if anything was lost before the replay, then every sequence number from
   * there on, with any later overflow gaps counting exactly what they skip.
   */
  @Test
  @Timeout(120)
  void resumingWhilePublishersRaceAheadMissesAndRepeatsNothing() throws Exception {
    EventBus bus = new EventBus(new ManualClock(T0), 16);
    EventLog log = bus.register("lab", 0);
    AtomicBoolean publishing = new AtomicBoolean(true);
    Thread publisher = new Thread(() -> {
      while (publishing.get()) {
        log.publish(EventType.INTERRUPT, NVME, 0);
      }
    });
    publisher.start();
    int expiredStarts = 0;
    try {
      for (int round = 0; round < 200; round++) {
        long last = log.lastSequence();
        long from = Math.max(1, last - round % 40);
        Subscription s = bus.subscribe(LAB, from, 256);
        List<StreamItem> items = new ArrayList<>();
        long target = last + 200;
        long newest = 0;
        while (newest < target) {
          StreamItem x = s.poll(Duration.ofMinutes(1));
          assertNotNull(x, "the publisher keeps publishing, so events keep coming");
          items.add(x);
          if (x instanceof Event e) {
            newest = e.sequence();
          }
        }
        s.close();
        StreamItem first = items.get(0);
        long start = from;
        if (first instanceof Gap g) {
          assertEquals(Gap.Cause.HISTORY_EXPIRED, g.cause());
          start = from + g.missed();
          items.remove(0);
          expiredStarts++;
        } else {
          assertEquals(from, assertInstanceOf(Event.class, first).sequence(),
              "without an expired gap the replay starts where asked");
        }
        Streams.assertExactlyAccounted(items, start, newest);
        for (Gap g : Streams.gaps(items)) {
          assertEquals(Gap.Cause.BUFFER_OVERFLOW, g.cause(), "expired gaps only come first");
        }
      }
    } finally {
      publishing.set(false);
      publisher.join();
    }
    assertTrue(expiredStarts > 0, "some rounds ask for events already overwritten");
  }
}
