package io.pciefarm.events;

import static io.pciefarm.events.Streams.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EventTest {
  private static Event event(long sequence, int slot, Map<String, String> details) {
    return new Event("lab", 1, sequence, T0, EventType.RESET_STARTED, "0000:03:00.0", slot,
        details);
  }

  @Test
  void detailsAreCopiedAndImmutable() {
    Map<String, String> mutable = new HashMap<>(Map.of(DetailKey.RESET_METHOD, "flr"));
    Event e = event(1, 3, mutable);
    mutable.put(DetailKey.RESET_METHOD, "bus");
    assertEquals("flr", e.detail(DetailKey.RESET_METHOD));
    assertThrows(UnsupportedOperationException.class, () -> e.details().put("x", "y"));
  }

  @Test
  void anImmutableDetailMapIsSharedNotCopied() {
    Map<String, String> none = Map.of();
    assertSame(none, event(1, 0, none).details());
  }

  @Test
  void rejectsWhatNoLogProduces() {
    assertThrows(IllegalArgumentException.class, () -> event(0, 0, Map.of()));
    assertThrows(IllegalArgumentException.class, () -> event(1, -1, Map.of()));
    assertThrows(IllegalArgumentException.class,
        () -> new Event(null, 0, 1, T0, EventType.LINK_UP, "", 0, Map.of()));
    assertThrows(IllegalArgumentException.class,
        () -> new Event("lab", 0, 1, T0, EventType.LINK_UP, null, 0, Map.of()));
    assertThrows(IllegalArgumentException.class, () -> new Gap(Gap.Cause.BUFFER_OVERFLOW, 0));
  }

  @Test
  void readsLikeALogLine() {
    assertEquals("lab#7 2025-01-01T00:00:00Z RESET_STARTED 0000:03:00.0 slot 3 "
        + "{reset_method=flr}", event(7, 3, Map.of(DetailKey.RESET_METHOD, "flr")).toString());
    assertEquals("lab#1 2025-01-01T00:00:00Z HIERARCHY_CREATED",
        new Event("lab", 1, 1, T0, EventType.HIERARCHY_CREATED, "", 0, Map.of()).toString());
  }
}
