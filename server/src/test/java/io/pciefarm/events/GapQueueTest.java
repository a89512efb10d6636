package io.pciefarm.events;

import static io.pciefarm.events.Streams.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class GapQueueTest {
  private static Event event(String hierarchy, long sequence) {
    return new Event(hierarchy, 0, sequence, T0, EventType.INTERRUPT, "", 0, Map.of());
  }

  private static List<StreamItem> takeAll(GapQueue q) {
    List<StreamItem> out = new ArrayList<>();
    for (StreamItem x = q.take(); x != null; x = q.take()) {
      out.add(x);
    }
    return out;
  }

  @Test
  void overflowDropsTheNewestIntoOneGap() {
    GapQueue q = new GapQueue(3);
    for (long s = 1; s <= 10; s++) {
      q.offer(event("h", s));
    }
    List<StreamItem> items = takeAll(q);
    assertEquals(List.of(event("h", 1), event("h", 2), event("h", 3),
        new Gap(Gap.Cause.BUFFER_OVERFLOW, 7)), items);
    assertEquals(7, q.dropped());
    q.offer(event("h", 11));
    assertEquals(List.of(event("h", 11)), takeAll(q), "after the gap the stream continues");
  }

  @Test
  void aGapTakenEndsCoalescing() {
    GapQueue q = new GapQueue(1);
    q.offer(event("h", 1));
    q.offer(event("h", 2));
    assertEquals(event("h", 1), q.take());
    assertEquals(new Gap(Gap.Cause.BUFFER_OVERFLOW, 1), q.take());
    q.offer(event("h", 3));
    q.offer(event("h", 4));
    q.offer(event("h", 5));
    assertEquals(List.of(event("h", 3), new Gap(Gap.Cause.BUFFER_OVERFLOW, 2)), takeAll(q));
  }

  @Test
  void gapsStayWhereTheDropsHappened() {
    GapQueue q = new GapQueue(2);
    q.offer(event("h", 1));
    q.offer(event("h", 2));
    q.offer(event("h", 3)); // dropped: gap after 2
    assertEquals(event("h", 1), q.take());
    q.offer(event("h", 4)); // room again: after the gap
    q.offer(event("h", 5)); // dropped: a new gap after 4
    q.offer(event("h", 6));
    assertEquals(List.of(event("h", 2), new Gap(Gap.Cause.BUFFER_OVERFLOW, 1), event("h", 4),
        new Gap(Gap.Cause.BUFFER_OVERFLOW, 2)), takeAll(q));
  }

  @Test
  void releasedQueueTakesNothingAndIgnoresOffers() {
    GapQueue q = new GapQueue(2);
    q.offer(event("h", 1));
    q.release();
    q.offer(event("h", 2));
    assertNull(q.take());
    assertEquals(0, q.bufferedEvents());
  }

  /**
   * Random offers and takes against an obviously correct model: a list of events and mutable
   * gap counters, where a drop extends the gap at the tail or appends one.
   */
  @Test
  void matchesTheModelUnderRandomInterleavings() {
    Random random = new Random(20250101);
    for (int round = 0; round < 300; round++) {
      int capacity = 1 + random.nextInt(6);
      GapQueue q = new GapQueue(capacity);
      Deque<Object> model = new ArrayDeque<>();
      int modelEvents = 0;
      long sequence = 0;
      for (int step = 0; step < 400; step++) {
        if (random.nextInt(100) < 60) {
          Event e = event("h", ++sequence);
          q.offer(e);
          if (modelEvents < capacity) {
            model.addLast(e);
            modelEvents++;
          } else if (model.peekLast() instanceof long[] open) {
            open[0]++;
          } else {
            model.addLast(new long[] {1});
          }
        } else {
          Object expected = model.pollFirst();
          StreamItem actual = q.take();
          if (expected == null) {
            assertNull(actual);
          } else if (expected instanceof long[] gap) {
            assertEquals(new Gap(Gap.Cause.BUFFER_OVERFLOW, gap[0]), actual);
          } else {
            assertEquals(expected, actual);
            modelEvents--;
          }
        }
        assertTrue(q.bufferedEvents() <= capacity);
      }
    }
  }

  /**
   * Several producers (each one hierarchy, offering in its own order, as logs do) and a consumer
   * that keeps stalling, all at once. Afterwards every offered event is delivered or counted in a
   * gap, and each producer's skipped events are covered by gaps where they were skipped.
   */
  @Test
  @Timeout(120)
  void concurrentProducersAreAccountedExactly() throws Exception {
    int producers = 3;
    int perProducer = 60_000;
    GapQueue q = new GapQueue(64);
    List<StreamItem> taken = new ArrayList<>();
    CountDownLatch start = new CountDownLatch(1);
    AtomicBoolean producing = new AtomicBoolean(true);
    List<Thread> threads = new ArrayList<>();
    for (int p = 0; p < producers; p++) {
      String h = "h" + p;
      Thread t = new Thread(() -> {
        await(start);
        for (long s = 1; s <= perProducer; s++) {
          q.offer(event(h, s));
        }
      });
      t.start();
      threads.add(t);
    }
    Thread consumer = new Thread(() -> {
      await(start);
      int takes = 0;
      while (producing.get()) {
        if (takes++ % 5_000 == 0) {
          // Stall until the producers overflow the buffer (or finish), so that gaps surely
          // form while producers and consumer race.
          long dropped = q.dropped();
          while (q.dropped() == dropped && producing.get()) {
            Thread.onSpinWait();
          }
        }
        StreamItem x = q.take();
        if (x != null) {
          taken.add(x);
        }
      }
    });
    consumer.start();
    start.countDown();
    for (Thread t : threads) {
      t.join();
    }
    producing.set(false);
    consumer.join();
    taken.addAll(takeAll(q));

    Map<String, long[]> owed = new HashMap<>();
    for (int p = 0; p < producers; p++) {
      owed.put("h" + p, new long[] {1, perProducer});
    }
    long missing = Streams.assertAccountedPerHierarchy(taken, owed);
    assertEquals(missing, Streams.missed(taken), "gaps count exactly the undelivered events");
    assertEquals(missing, q.dropped());
    assertTrue(missing > 0, "the consumer's first stall overflows the buffer");
    assertEquals((long) producers * perProducer,
        Streams.events(taken).size() + Streams.missed(taken));
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      throw new AssertionError(e);
    }
  }
}
