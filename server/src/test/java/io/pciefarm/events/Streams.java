package io.pciefarm.events;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.topology.PciAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

/** Helpers for reading and checking what subscriptions deliver. */
final class Streams {
  static final Instant T0 = Instant.parse("2025-01-01T00:00:00Z");
  static final PciAddress PORT = PciAddress.parse("0000:00:1c.0");
  static final PciAddress NVME = PciAddress.parse("0000:03:00.0");

  private Streams() {}

  /**
   * Spins until {@code condition} holds. Fails when the thread is interrupted, which is how
   * JUnit's {@code @Timeout} ends a test: a plain spin loop would ignore it and hang the build.
   */
  static void spinUntil(BooleanSupplier condition) {
    while (!condition.getAsBoolean()) {
      if (Thread.interrupted()) {
        throw new AssertionError("interrupted while waiting: the test timed out");
      }
      Thread.onSpinWait();
    }
  }

  /** Everything the subscription has now, until poll returns null. */
  static List<StreamItem> drain(Subscription s) {
    List<StreamItem> out = new ArrayList<>();
    for (StreamItem x = s.poll(); x != null; x = s.poll()) {
      out.add(x);
    }
    return out;
  }

  static List<Event> events(List<StreamItem> items) {
    List<Event> out = new ArrayList<>();
    for (StreamItem x : items) {
      if (x instanceof Event e) {
        out.add(e);
      }
    }
    return out;
  }

  static List<Long> sequences(List<StreamItem> items) {
    return events(items).stream().map(Event::sequence).toList();
  }

  static List<Gap> gaps(List<StreamItem> items) {
    List<Gap> out = new ArrayList<>();
    for (StreamItem x : items) {
      if (x instanceof Gap g) {
        out.add(g);
      }
    }
    return out;
  }

  static long missed(List<StreamItem> items) {
    return gaps(items).stream().mapToLong(Gap::missed).sum();
  }

  static List<Long> range(long from, long to) {
    List<Long> out = new ArrayList<>();
    for (long s = from; s <= to; s++) {
      out.add(s);
    }
    return out;
  }

  /**
   * Checks a stream of one hierarchy's events, unfiltered, against sequences {@code from..to}:
   * the events come in increasing order, and between any two delivered events (and before the
   * first and after the last) the gaps count exactly the sequence numbers skipped there.
   */
  static void assertExactlyAccounted(List<StreamItem> items, long from, long to) {
    long expected = from;
    long pendingGap = 0;
    for (StreamItem x : items) {
      if (x instanceof Gap g) {
        pendingGap += g.missed();
      } else {
        Event e = (Event) x;
        assertEquals(expected + pendingGap, e.sequence(), () -> "after sequence "
            + (e.sequence() - 1) + " the gaps should count exactly the skipped numbers");
        expected = e.sequence() + 1;
        pendingGap = 0;
      }
    }
    assertEquals(to + 1, expected + pendingGap,
        "the trailing gaps should count exactly the events after the last delivered one");
  }

  /**
   * Checks a multi-hierarchy stream: per hierarchy, events strictly increase, and every skipped
   * sequence number of a hierarchy lies between two delivered events (or the ends) whose span
   * contains gaps counting at least as many (gaps are not attributed to hierarchies, so only the
   * global sum can be exact).
   *
   * @param published per hierarchy, the sequences {@code [first, last]} the subscription was
   *     owed; events of other hierarchies are not checked (their drops still count in gaps)
   * @return the number of owed events not delivered
   */
  static long assertAccountedPerHierarchy(List<StreamItem> items, Map<String, long[]> published) {
    Map<String, Long> lastSeen = new HashMap<>();
    Map<String, Long> gapSinceLast = new HashMap<>();
    long owedMissing = 0;
    for (StreamItem x : items) {
      if (x instanceof Gap g) {
        for (String h : published.keySet()) {
          gapSinceLast.merge(h, g.missed(), Long::sum);
        }
        continue;
      }
      Event e = (Event) x;
      long[] owed = published.get(e.hierarchy());
      if (owed == null) {
        continue;
      }
      long prev = lastSeen.getOrDefault(e.hierarchy(), owed[0] - 1);
      assertTrue(e.sequence() > prev, () -> "out of order or repeated: " + e + " after " + prev);
      long skipped = e.sequence() - prev - 1;
      long gapped = gapSinceLast.getOrDefault(e.hierarchy(), 0L);
      assertTrue(skipped <= gapped, () -> skipped + " events of " + e.hierarchy()
          + " skipped before " + e + " but gaps there count only " + gapped);
      owedMissing += skipped;
      lastSeen.put(e.hierarchy(), e.sequence());
      gapSinceLast.put(e.hierarchy(), 0L);
    }
    for (Map.Entry<String, long[]> h : published.entrySet()) {
      long prev = lastSeen.getOrDefault(h.getKey(), h.getValue()[0] - 1);
      long skipped = h.getValue()[1] - prev;
      long gapped = gapSinceLast.getOrDefault(h.getKey(), 0L);
      assertTrue(skipped <= gapped, () -> skipped + " trailing events of " + h.getKey()
          + " missing but trailing gaps count only " + gapped);
      owedMissing += skipped;
    }
    return owedMissing;
  }
}
