package io.pciefarm.events;

import static io.pciefarm.events.Streams.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EventFilterTest {
  private static Event event(String hierarchy, EventType type, String function, int slot) {
    return new Event(hierarchy, 0, 1, T0, type, function, slot, Map.of());
  }

  @Test
  void allMatchesEverything() {
    assertTrue(EventFilter.all().matches(event("a", EventType.LINK_UP, "", 0)));
    assertTrue(EventFilter.all().matches(event("b", EventType.INTERRUPT, "0000:03:00.0", 4)));
  }

  @Test
  void eachConditionNarrows() {
    Event e = event("a", EventType.LINK_UP, "0000:00:1c.0", 3);
    assertTrue(EventFilter.all().inHierarchy("a").matches(e));
    assertFalse(EventFilter.all().inHierarchy("b").matches(e));
    assertTrue(EventFilter.all().inSlot(3).matches(e));
    assertFalse(EventFilter.all().inSlot(4).matches(e));
    assertTrue(EventFilter.all().aboutFunction("0000:00:1c.0").matches(e));
    assertFalse(EventFilter.all().aboutFunction("0000:00:1c.1").matches(e));
    assertTrue(EventFilter.all().ofTypes(EventType.LINK_DOWN, EventType.LINK_UP).matches(e));
    assertFalse(EventFilter.all().ofTypes(EventType.LINK_DOWN).matches(e));
    assertFalse(EventFilter.all().inHierarchy("a").inSlot(3).ofTypes(EventType.LINK_DOWN)
        .matches(e), "every condition must hold");
  }

  @Test
  void aSlotFilterDoesNotMatchEventsAboutNoSlot() {
    assertFalse(EventFilter.all().inSlot(1).matches(event("a", EventType.LINK_UP, "", 0)));
  }

  @Test
  void functionAddressesAreCanonical() {
    EventFilter f = EventFilter.all().aboutFunction("03:00.0");
    assertEquals("0000:03:00.0", f.function());
    assertTrue(f.matches(event("a", EventType.RESET_STARTED, "0000:03:00.0", 0)));
    assertEquals("0000:0a:1f.7", EventFilter.all().aboutFunction("0000:0A:1F.7").function());
    assertThrows(IllegalArgumentException.class, () -> EventFilter.all().aboutFunction("3:0"));
  }

  @Test
  void rejectsMeaninglessConditions() {
    assertThrows(IllegalArgumentException.class, () -> EventFilter.all().inSlot(0));
    assertThrows(IllegalArgumentException.class, () -> EventFilter.all().inHierarchy(""));
    assertThrows(IllegalArgumentException.class, () -> new EventFilter(null, -1, null, null));
  }

  @Test
  void typesAreAnImmutableCopy() {
    EventFilter f = new EventFilter(null, 0, null, Set.of(EventType.POWER_FAULT));
    assertThrows(UnsupportedOperationException.class, () -> f.types().add(EventType.LINK_UP));
    assertEquals(Set.of(), new EventFilter(null, 0, null, null).types());
  }
}
