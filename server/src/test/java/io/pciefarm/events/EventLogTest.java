package io.pciefarm.events;

import static io.pciefarm.events.Streams.NVME;
import static io.pciefarm.events.Streams.PORT;
import static io.pciefarm.events.Streams.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class EventLogTest {
  @Test
  void publishRecordsEverythingTheEventIsAbout() {
    EventBus bus = new EventBus(new ManualClock(T0), 16);
    EventLog log = bus.register("lab", 7);
    Event e = log.publish(EventType.RESET_STARTED, NVME, 3,
        Map.of(DetailKey.RESET_METHOD, "flr"));
    assertEquals("lab", e.hierarchy());
    assertEquals(7, e.segment());
    assertEquals(2, e.sequence(), "HIERARCHY_CREATED is sequence 1");
    assertEquals(EventType.RESET_STARTED, e.type());
    assertEquals("0000:03:00.0", e.function());
    assertEquals(3, e.slot());
    assertEquals("flr", e.detail(DetailKey.RESET_METHOD));
    Event bare = log.publish(EventType.ROUTING_CHANGED, null, 0, null);
    assertEquals("", bare.function());
    assertEquals(Map.of(), bare.details());
  }

  @Test
  void timestampsComeFromTheInjectedClock() {
    ManualClock clock = new ManualClock(T0);
    EventBus bus = new EventBus(clock, 16);
    Subscription s = bus.subscribe(EventFilter.all(), 0, 16);
    EventLog log = bus.register("lab", 0);
    clock.advance(Duration.ofMillis(5));
    log.publish(EventType.LINK_DOWN, PORT, 1);
    clock.advance(Duration.ofSeconds(2));
    log.publish(EventType.LINK_UP, PORT, 1);
    assertEquals(List.of(T0, T0.plusMillis(5), T0.plusMillis(2005)),
        Streams.events(Streams.drain(s)).stream().map(Event::timestamp).toList());
  }

  @Test
  void theBusPublishesTheLifecycleTypesItself() {
    EventLog log = new EventBus().register("lab", 0);
    assertThrows(IllegalArgumentException.class,
        () -> log.publish(EventType.HIERARCHY_CREATED, null, 0));
    assertThrows(IllegalArgumentException.class,
        () -> log.publish(EventType.HIERARCHY_DELETED, null, 0));
    assertThrows(IllegalArgumentException.class, () -> log.publish(null, null, 0));
    assertThrows(IllegalArgumentException.class, () -> log.publish(EventType.LINK_UP, PORT, -1));
    assertEquals(1, log.lastSequence(), "rejected publishes use no sequence number");
  }

  @Test
  void aClosedLogDropsPublishes() {
    EventBus bus = new EventBus();
    EventLog log = bus.register("lab", 0);
    bus.unregister("lab");
    assertEquals(2, log.lastSequence());
    assertNull(log.publish(EventType.LINK_UP, PORT, 1));
    assertEquals(2, log.lastSequence());
  }

  @Test
  void historyIsBounded() {
    EventLog log = new EventBus(new ManualClock(T0), 8).register("lab", 0);
    assertEquals(1, log.oldestRetained());
    for (int i = 0; i < 20; i++) {
      log.publish(EventType.INTERRUPT, NVME, 0);
    }
    assertEquals(21, log.lastSequence());
    assertEquals(14, log.oldestRetained());
    assertEquals(8, log.historyCapacity());
  }

  /**
   * Concurrent publishers: the numbers handed out are exactly 2..N+1, each thread sees its own
   * numbers rise, a subscriber gets them all in order, and timestamps (from a clock that ticks on
   * every read) rise with the sequence, showing the clock is read where the number is assigned.
   */
  @Test
  @Timeout(120)
  void sequenceNumbersAreGaplessAndOrderedUnderConcurrentPublishers() throws Exception {
    int threads = 4;
    int perThread = 25_000;
    AtomicLong ticks = new AtomicLong();
    InstantSource ticking = () -> Instant.EPOCH.plusNanos(ticks.incrementAndGet());
    EventBus bus = new EventBus(ticking, 1024);
    Subscription all = bus.subscribe(EventFilter.all(), 0, threads * perThread + 1);
    EventLog log = bus.register("lab", 0);
    CountDownLatch start = new CountDownLatch(1);
    List<List<Long>> perThreadSequences = new ArrayList<>();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      List<Long> mine = new ArrayList<>(perThread);
      perThreadSequences.add(mine);
      int slot = t + 1;
      Thread w = new Thread(() -> {
        try {
          start.await();
        } catch (InterruptedException e) {
          throw new AssertionError(e);
        }
        for (int i = 0; i < perThread; i++) {
          mine.add(log.publish(EventType.INTERRUPT, NVME, slot).sequence());
        }
      });
      w.start();
      workers.add(w);
    }
    start.countDown();
    for (Thread w : workers) {
      w.join();
    }

    long total = (long) threads * perThread + 1;
    assertEquals(total, log.lastSequence());
    Set<Long> handedOut = new HashSet<>();
    for (List<Long> mine : perThreadSequences) {
      for (int i = 1; i < mine.size(); i++) {
        assertTrue(mine.get(i) > mine.get(i - 1), "a thread's later publish got a lower number");
      }
      handedOut.addAll(mine);
    }
    assertEquals(threads * perThread, handedOut.size(), "no number handed out twice");
    assertEquals(new HashSet<>(Streams.range(2, total)), handedOut);

    List<StreamItem> items = Streams.drain(all);
    assertEquals(Streams.range(1, total), Streams.sequences(items));
    List<Event> events = Streams.events(items);
    for (int i = 1; i < events.size(); i++) {
      assertTrue(events.get(i).timestamp().isAfter(events.get(i - 1).timestamp()),
          "timestamps rise along the sequence");
    }
  }
}
