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
}
