package io.pciefarm.events;

import static io.pciefarm.events.Streams.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HistoryRingTest {
  private static Event event(long sequence) {
    return new Event("lab", 0, sequence, T0, sequence % 2 == 0 ? EventType.LINK_UP
        : EventType.LINK_DOWN, "", 0, Map.of());
  }

  private static HistoryRing filled(int capacity, long last) {
    HistoryRing ring = new HistoryRing(capacity);
    for (long s = 1; s <= last; s++) {
      ring.append(event(s));
    }
    return ring;
  }

  @Test
  void holdsTheNewestCapacityEvents() {
    HistoryRing ring = filled(4, 10);
    assertEquals(10, ring.last());
    assertEquals(7, ring.oldest(ring.last()));
    List<Event> out = new ArrayList<>();
    assertTrue(ring.copy(7, 10, EventFilter.all(), out));
    assertEquals(List.of(7L, 8L, 9L, 10L), out.stream().map(Event::sequence).toList());
  }

  @Test
  void beforeWrappingTheOldestIsOne() {
    assertEquals(1, new HistoryRing(4).oldest(0));
    assertEquals(1, filled(4, 3).oldest(3));
    assertEquals(1, filled(4, 4).oldest(4));
    assertEquals(2, filled(4, 5).oldest(5));
  }

  @Test
  void copyAppliesTheFilter() {
    List<Event> out = new ArrayList<>();
    assertTrue(filled(8, 8).copy(1, 8, EventFilter.all().ofTypes(EventType.LINK_UP), out));
    assertEquals(List.of(2L, 4L, 6L, 8L), out.stream().map(Event::sequence).toList());
  }

  @Test
  void copyNoticesOverwrittenEvents() {
    HistoryRing ring = filled(4, 6);
    assertFalse(ring.copy(2, 6, EventFilter.all(), new ArrayList<>()),
        "sequence 2 was overwritten by 6");
    assertFalse(ring.copy(1, 1, EventFilter.all(), new ArrayList<>()));
    assertTrue(ring.copy(3, 6, EventFilter.all(), new ArrayList<>()));
  }

  @Test
  void slotsGrowOnDemandUpToTheCapacity() {
    HistoryRing ring = new HistoryRing(100);
    assertEquals(HistoryRing.INITIAL_SLOTS, ring.allocated(), "nothing published yet");
    for (long s = 1; s <= 16; s++) {
      ring.append(event(s));
    }
    assertEquals(16, ring.allocated(), "16 events fit the first slots");
    ring.append(event(17));
    assertEquals(32, ring.allocated());
    for (long s = 18; s <= 65; s++) {
      ring.append(event(s));
    }
    assertEquals(100, ring.allocated(), "doubling stops at the capacity, not a power of two");
    for (long s = 66; s <= 250; s++) {
      ring.append(event(s));
    }
    assertEquals(100, ring.allocated());
    List<Event> out = new ArrayList<>();
    assertTrue(ring.copy(151, 250, EventFilter.all(), out));
    assertEquals(100, out.size());
    assertEquals(151, out.get(0).sequence());
    assertFalse(ring.copy(150, 250, EventFilter.all(), new ArrayList<>()), "150 overwritten");
  }

  @Test
  void aSmallCapacityIsAllocatedWhole() {
    assertEquals(4, new HistoryRing(4).allocated());
  }

  @Test
  void growingKeepsEveryEventAppendedBefore() {
    HistoryRing ring = filled(4096, 1000);
    List<Event> out = new ArrayList<>();
    assertTrue(ring.copy(1, 1000, EventFilter.all(), out));
    for (int i = 0; i < 1000; i++) {
      assertEquals(i + 1, out.get(i).sequence());
    }
  }

  /**
   * A reader that saw {@code last} finds every event up to it while the writer keeps growing
   * and wrapping the ring: the grown array is published before anything is appended to it.
   */
  @Test
  void readersRacingGrowthSeeEveryEventUpToLast() throws Exception {
    HistoryRing ring = new HistoryRing(1024);
    int total = 200_000;
    java.util.concurrent.atomic.AtomicReference<String> failure =
        new java.util.concurrent.atomic.AtomicReference<>();
    Thread reader = new Thread(() -> {
      List<Event> out = new ArrayList<>();
      while (ring.last() < total && failure.get() == null) {
        long last = ring.last();
        long from = ring.oldest(last);
        out.clear();
        boolean whole = ring.copy(from, last, EventFilter.all(), out);
        // Nothing can have been overwritten if the ring had not wrapped when the copy ended
        // (last only grows): then every copy must succeed.
        if (!whole && ring.last() <= 1024) {
          failure.set("lost an event of 1.." + last + " while growing");
        }
        if (whole && out.size() != last - from + 1) {
          failure.set("copied " + out.size() + " of " + from + ".." + last);
        }
      }
    });
    reader.start();
    for (long s = 1; s <= total; s++) {
      ring.append(event(s));
      if (s <= 1024) {
        Thread.yield(); // while it grows, give the reader room to copy before the ring wraps
      }
    }
    reader.join();
    assertEquals(null, failure.get());
  }
}
