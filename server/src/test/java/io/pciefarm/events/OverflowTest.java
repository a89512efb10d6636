package io.pciefarm.events;

import static io.pciefarm.events.Streams.NVME;
import static io.pciefarm.events.Streams.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class OverflowTest {
  @Test
  void aSlowSubscriberGetsOneExactGapWhileAFastOneGetsEverything() {
    int capacity = 10;
    int overflow = 25;
    EventBus bus = new EventBus(new ManualClock(T0), 64);
    EventLog log = bus.register("lab", 0);
    Subscription slow = bus.subscribe(EventFilter.all(), 0, capacity);
    Subscription fast = bus.subscribe(EventFilter.all(), 0, 2);
    List<StreamItem> fastItems = new ArrayList<>();
    for (int i = 0; i < capacity + overflow; i++) { // 2..36
      log.publish(EventType.INTERRUPT, NVME, 0);
      fastItems.addAll(Streams.drain(fast)); // keeps up: never more than one event waiting
    }
    List<StreamItem> slowItems = Streams.drain(slow);
    assertEquals(Streams.range(2, 11), Streams.sequences(slowItems));
    assertEquals(new Gap(Gap.Cause.BUFFER_OVERFLOW, overflow), slowItems.get(capacity));
    assertEquals(capacity + 1, slowItems.size(), "exactly one gap");
    assertEquals(overflow, slow.dropped());

    log.publish(EventType.LINK_UP, NVME, 0);
    log.publish(EventType.LINK_DOWN, NVME, 0);
    assertEquals(List.of(37L, 38L), Streams.sequences(Streams.drain(slow)),
        "after the gap the stream goes on with the events published since");
    fastItems.addAll(Streams.drain(fast));
    assertEquals(Streams.range(2, 38), Streams.sequences(fastItems));
    assertEquals(0, fast.dropped());
  }

  @Test
  void consecutiveOverflowsCoalesceAndALaterOneIsSeparate() {
    EventBus bus = new EventBus(new ManualClock(T0), 64);
    EventLog log = bus.register("lab", 0);
    Subscription s = bus.subscribe(EventFilter.all(), 0, 3);
    for (int i = 0; i < 10; i++) { // 2..11: 2..4 kept, 5..11 dropped in one gap
      log.publish(EventType.INTERRUPT, NVME, 0);
    }
    List<StreamItem> items = new ArrayList<>();
    items.add(s.poll());
    assertEquals(List.of(2L), Streams.sequences(items));
    for (int i = 0; i < 4; i++) { // 12 fits, 13..15 dropped in a second gap
      log.publish(EventType.INTERRUPT, NVME, 0);
    }
    items.addAll(Streams.drain(s));
    assertEquals(List.of(2L, 3L, 4L, 12L), Streams.sequences(items));
    assertEquals(List.of(new Gap(Gap.Cause.BUFFER_OVERFLOW, 7),
        new Gap(Gap.Cause.BUFFER_OVERFLOW, 3)), Streams.gaps(items));
    Streams.assertExactlyAccounted(items, 2, 15);
  }

  @Test
  void onlyMatchingEventsCountAgainstTheBufferAndTheGap() {
    EventBus bus = new EventBus(new ManualClock(T0), 64);
    EventLog log = bus.register("lab", 0);
    Subscription s = bus.subscribe(EventFilter.all().inSlot(1), 0, 2);
    for (int i = 0; i < 10; i++) { // slot 1 gets 2, 4, 6, 8, 10 of these ten
      log.publish(EventType.INTERRUPT, NVME, i % 2 == 0 ? 2 : 1);
    }
    List<StreamItem> items = Streams.drain(s);
    assertEquals(List.of(3L, 5L), Streams.sequences(items));
    assertEquals(List.of(new Gap(Gap.Cause.BUFFER_OVERFLOW, 3)), Streams.gaps(items));
  }

  /**
   * A million events against a subscriber that never polls: publishing completes, the buffer
   * never holds more than its capacity, and the subscriber finds its capacity of events and one
   * gap counting the rest.
   */
  @Test
  @Timeout(120)
  void aStalledSubscriberNeitherBlocksPublishersNorGrows() {
    int capacity = 16;
    int total = 1_000_000;
    EventBus bus = new EventBus(new ManualClock(T0), 256);
    EventLog log = bus.register("lab", 0);
    Subscription stalled = bus.subscribe(EventFilter.all(), 0, capacity);
    for (int i = 0; i < total; i++) {
      log.publish(EventType.INTERRUPT, NVME, 0);
      if (i % 10_000 == 0) {
        assertTrue(stalled.bufferedEvents() <= capacity);
      }
    }
    assertEquals(total + 1, log.lastSequence());
    assertEquals(total + 1 - 255, log.oldestRetained(), "the history stays bounded too");
    List<StreamItem> items = Streams.drain(stalled);
    assertEquals(Streams.range(2, capacity + 1), Streams.sequences(items));
    assertEquals(List.of(new Gap(Gap.Cause.BUFFER_OVERFLOW, total - capacity)),
        Streams.gaps(items));
  }

  /**
   * Several publisher threads on one hierarchy; one consumer that keeps stalling until its buffer
   * overflows, and a second subscriber with a buffer big enough for everything. The slow stream accounts for every sequence number
   * exactly; the fast one has them all.
   */
  @Test
  @Timeout(120)
  void racingPublishersAndAStallingConsumerAreAccountedExactly() throws Exception {
    int publishers = 3;
    int perPublisher = 40_000;
    long total = (long) publishers * perPublisher + 1;
    EventBus bus = new EventBus(new ManualClock(T0), 1024);
    Subscription slow = bus.subscribe(EventFilter.all(), 0, 32);
    Subscription fast = bus.subscribe(EventFilter.all(), 0, (int) total);
    EventLog log = bus.register("lab", 0);
    AtomicBoolean publishing = new AtomicBoolean(true);
    List<StreamItem> slowItems = new ArrayList<>();
    Thread consumer = new Thread(() -> {
      int polls = 0;
      while (publishing.get()) {
        if (polls++ % 2_000 == 0) {
          long dropped = slow.dropped();
          while (slow.dropped() == dropped && publishing.get()) {
            Thread.onSpinWait(); // stall until an overflow, so gaps form mid-race
          }
        }
        StreamItem x = slow.poll();
        if (x != null) {
          slowItems.add(x);
        }
      }
    });
    consumer.start();
    List<Thread> threads = new ArrayList<>();
    for (int p = 0; p < publishers; p++) {
      Thread t = new Thread(() -> {
        for (int i = 0; i < perPublisher; i++) {
          log.publish(EventType.INTERRUPT, NVME, 0);
        }
      });
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join();
    }
    publishing.set(false);
    consumer.join();
    slowItems.addAll(Streams.drain(slow));

    Streams.assertExactlyAccounted(slowItems, 1, total);
    assertTrue(slow.dropped() > 0);
    assertEquals(slow.dropped(), Streams.missed(slowItems));
    assertEquals(Streams.range(1, total), Streams.sequences(Streams.drain(fast)));
  }
}
