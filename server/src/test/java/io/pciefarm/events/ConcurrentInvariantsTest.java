package io.pciefarm.events;

import static io.pciefarm.events.Streams.NVME;
import static io.pciefarm.events.Streams.PORT;
import static io.pciefarm.events.Streams.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Everything at once on one bus: publishers on three hierarchies, a fourth hierarchy registered
 * and unregistered over and over, subscribers that keep up, stall, block, resume, or come and
 * go. No timing is asserted; afterwards every stream is checked against the invariants the
 * package promises.
 */
class ConcurrentInvariantsTest {
  private static final List<String> STEADY = List.of("a", "b", "c");
  private static final int PER_PUBLISHER = 15_000;

  @Test
  @Timeout(180)
  void everyStreamKeepsItsPromisesUnderConcurrency() throws Exception {
    EventBus bus = new EventBus(new ManualClock(T0), 256);
    // Subscribed before anything is registered, so they are owed every event of every log.
    Subscription everything = bus.subscribe(EventFilter.all(), 0, 200_000);
    AtomicBoolean running = new AtomicBoolean(true);
    ExecutorService drains = Executors.newSingleThreadExecutor();
    List<StreamItem> slowItems = Collections.synchronizedList(new ArrayList<>());
    AtomicReference<Subscription> slowRef = new AtomicReference<>();
    Runnable drainSlow = () -> {
      Subscription s = slowRef.get();
      long dropped = s.dropped();
      // Stall until the buffer overflows (or the run ends), then drain: onReady-driven, as the
      // gRPC layer will be, but slow.
      while (s.dropped() == dropped && running.get()) {
        Thread.onSpinWait();
      }
      for (StreamItem x = s.poll(); x != null; x = s.poll()) {
        slowItems.add(x);
      }
    };
    Subscription slow = bus.subscribe(EventFilter.all(), 0, 64,
        () -> drains.execute(drainSlow));
    slowRef.set(slow);
    drains.execute(drainSlow);
    Subscription slot2 = bus.subscribe(EventFilter.all().inSlot(2), 0, 128);

    Map<String, EventLog> logs = new HashMap<>();
    for (int i = 0; i < STEADY.size(); i++) {
      logs.put(STEADY.get(i), bus.register(STEADY.get(i), i));
    }
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> publishers = new ArrayList<>();
    for (String h : List.of("a", "a", "b", "c")) {
      EventLog log = logs.get(h);
      Thread t = new Thread(() -> {
        await(start);
        Random random = new Random(h.hashCode());
        for (int i = 0; i < PER_PUBLISHER; i++) {
          log.publish(EventType.INTERRUPT, NVME, 1 + random.nextInt(4));
        }
      }, "publisher-" + h);
      publishers.add(t);
    }

    List<StreamItem> slot2Items = new ArrayList<>();
    Thread blocking = new Thread(() -> {
      await(start);
      try {
        while (running.get()) {
          StreamItem x = slot2.poll(Duration.ofMillis(50));
          if (x != null) {
            slot2Items.add(x);
          }
        }
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }, "blocking-consumer");

    List<List<StreamItem>> churned = Collections.synchronizedList(new ArrayList<>());
    Thread churn = new Thread(() -> {
      await(start);
      Random random = new Random(3);
      while (running.get()) {
        EventFilter f = random.nextBoolean() ? EventFilter.all()
            : EventFilter.all().inHierarchy(STEADY.get(random.nextInt(3)));
        try (Subscription s = bus.subscribe(f, 0, 1024)) {
          List<StreamItem> items = new ArrayList<>();
          for (int i = 0; i < 200; i++) {
            StreamItem x = s.poll();
            if (x != null) {
              items.add(x);
            }
          }
          churned.add(items);
        }
      }
    }, "subscription-churn");

    List<Long> lifecycleEvents = new ArrayList<>();
    Thread lifecycle = new Thread(() -> {
      await(start);
      long published = 0;
      // Bounded, so the subscriber with room for everything has room for all of d too.
      for (int round = 0; round < 2_000 && running.get(); round++) {
        EventLog d = bus.register("d", 9);
        for (int i = 0; i < 5; i++) {
          d.publish(EventType.LINK_UP, PORT, 0);
        }
        bus.unregister("d");
        published += 7; // created, five, deleted
      }
      lifecycleEvents.add(published);
    }, "register-churn");

    AtomicReference<Subscription> resumed = new AtomicReference<>();
    AtomicReference<Long> resumedFrom = new AtomicReference<>();
    Thread resumer = new Thread(() -> {
      await(start);
      EventLog b = logs.get("b");
      while (b.lastSequence() < PER_PUBLISHER / 3) {
        Thread.onSpinWait();
      }
      long from = b.lastSequence() - 100;
      resumedFrom.set(from);
      resumed.set(bus.subscribe(EventFilter.all().inHierarchy("b"), from, 200_000));
    }, "resumer");

    List<Thread> others = List.of(blocking, churn, lifecycle, resumer);
    publishers.forEach(Thread::start);
    others.forEach(Thread::start);
    start.countDown();
    for (Thread t : publishers) {
      t.join();
    }
    running.set(false);
    for (Thread t : others) {
      t.join();
    }
    drains.submit(drainSlow).get(60, TimeUnit.SECONDS);
    drains.shutdown();
    slot2Items.addAll(Streams.drain(slot2));

    // The subscriber with room for everything has every event of every log, each hierarchy in
    // order, with no number skipped or repeated.
    List<StreamItem> all = Streams.drain(everything);
    assertEquals(List.of(), Streams.gaps(all));
    Map<String, long[]> owed = new HashMap<>();
    for (String h : STEADY) {
      long last = logs.get(h).lastSequence();
      owed.put(h, new long[] {1, last});
      assertEquals(Streams.range(1, last), Streams.events(all).stream()
          .filter(e -> e.hierarchy().equals(h)).map(Event::sequence).toList());
    }
    assertEquals(2L * PER_PUBLISHER + 1, logs.get("a").lastSequence());
    List<Event> ofD = Streams.events(all).stream().filter(e -> e.hierarchy().equals("d"))
        .toList();
    assertEquals((long) lifecycleEvents.get(0), ofD.size());
    for (int i = 0; i < ofD.size(); i++) {
      assertEquals(i % 7 + 1, ofD.get(i).sequence(), "each incarnation of d counts from 1");
      assertEquals(i % 7 == 0 ? EventType.HIERARCHY_CREATED
          : i % 7 == 6 ? EventType.HIERARCHY_DELETED : EventType.LINK_UP, ofD.get(i).type());
    }

    // The stalling subscriber: per steady hierarchy in order, skips covered by gaps where they
    // happen, and in total every event it was owed delivered or counted once.
    long slowMissing = Streams.assertAccountedPerHierarchy(slowItems, owed);
    assertTrue(slowMissing <= Streams.missed(slowItems));
    assertEquals(Streams.events(all).size(),
        Streams.events(slowItems).size() + Streams.missed(slowItems));
    assertEquals(slow.dropped(), Streams.missed(slowItems));
    assertTrue(slow.dropped() > 0, "its first stall overflows the buffer");

    // The slot filter: only slot 2, in order, and exactly accounted against what matched.
    // Numbered by position among the matching events, the filtered stream must account like an
    // unfiltered one.
    List<Event> slot2Owed = Streams.events(all).stream().filter(e -> e.slot() == 2).toList();
    assertTrue(Streams.events(slot2Items).stream().allMatch(e -> e.slot() == 2));
    Map<String, long[]> slot2Counts = new HashMap<>();
    List<StreamItem> renumbered = renumber(slot2Items, slot2Owed, slot2Counts);
    Streams.assertAccountedPerHierarchy(renumbered, slot2Counts);
    assertEquals(slot2Owed.size(), Streams.events(slot2Items).size()
        + Streams.missed(slot2Items));

    // The resumed subscription: exactly the sequence numbers from where it asked.
    List<StreamItem> fromB = Streams.drain(resumed.get());
    long startB = resumedFrom.get();
    if (fromB.get(0) instanceof Gap g) {
      assertEquals(Gap.Cause.HISTORY_EXPIRED, g.cause());
      startB += g.missed();
      fromB = fromB.subList(1, fromB.size());
    }
    assertInstanceOf(Event.class, fromB.get(0));
    Streams.assertExactlyAccounted(fromB, startB, logs.get("b").lastSequence());
    assertEquals(List.of(), Streams.gaps(fromB));

    // Subscriptions that came and went: in order per hierarchy, nothing repeated.
    for (List<StreamItem> items : churned) {
      Map<String, long[]> seen = new HashMap<>();
      for (Event e : Streams.events(items)) {
        if (STEADY.contains(e.hierarchy())) {
          seen.computeIfAbsent(e.hierarchy(), h -> new long[] {e.sequence(), 0})[1] =
              e.sequence();
        }
      }
      Streams.assertAccountedPerHierarchy(items, seen);
    }
    assertEquals(4, bus.subscriptionCount(), "the churned subscriptions all closed");
  }

  /**
   * Replaces each event's sequence number by its position (from 1) among the events of its
   * hierarchy in {@code owed}, and fills {@code counts} with each hierarchy's {@code [1, n]}.
   */
  private static List<StreamItem> renumber(List<StreamItem> items, List<Event> owed,
      Map<String, long[]> counts) {
    Map<String, Map<Long, Long>> position = new HashMap<>();
    for (Event e : owed) {
      long[] n = counts.computeIfAbsent(e.hierarchy(), h -> new long[] {1, 0});
      n[1]++;
      position.computeIfAbsent(e.hierarchy(), h -> new HashMap<>()).put(e.sequence(), n[1]);
    }
    List<StreamItem> out = new ArrayList<>();
    for (StreamItem x : items) {
      if (x instanceof Event e) {
        Long p = position.getOrDefault(e.hierarchy(), Map.of()).get(e.sequence());
        assertTrue(p != null, () -> "delivered an event that was never owed: " + e);
        out.add(new Event(e.hierarchy(), e.segment(), p, e.timestamp(), e.type(), e.function(),
            e.slot(), e.details()));
      } else {
        out.add(x);
      }
    }
    return out;
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }
}
