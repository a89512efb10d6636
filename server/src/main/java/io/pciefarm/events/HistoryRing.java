package io.pciefarm.events;

import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The newest {@code capacity} events of one log, by sequence number, for subscriptions that
 * resume.
 *
 * <h2>Concurrency</h2>
 * One writer at a time (the log appends under its lock); any number of readers, without a lock.
 * A reader can tell whether what it read is still valid: the slot of sequence {@code s} holds
 * {@code s}, {@code s + capacity}, {@code s + 2 * capacity} and so on in turn, and every event
 * carries its own sequence number, so a slot that no longer holds {@code s} has been overwritten.
 */
final class HistoryRing {
  private final AtomicReferenceArray<Event> slots;
  private final int capacity;
  /** The newest sequence appended, 0 before the first; written after its slot. */
  private volatile long last;

  HistoryRing(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("history capacity must be at least 1, not " + capacity);
    }
    this.capacity = capacity;
    this.slots = new AtomicReferenceArray<>(capacity);
  }

  int capacity() {
    return capacity;
  }

  /**
   * Appends {@code e}, overwriting the oldest event when full. Callers serialize appends, and
   * append sequences 1, 2, 3 and so on.
   */
  void append(Event e) {
    assert e.sequence() == last + 1 : "appended " + e.sequence() + " after " + last;
    slots.setRelease(index(e.sequence()), e);
    last = e.sequence();
  }

  /** The newest sequence appended, 0 before the first. Every slot up to it is written. */
  long last() {
    return last;
  }

  /** The oldest sequence held while {@code last} is the newest (1 until the ring wraps). */
  long oldest(long last) {
    return Math.max(1, last - capacity + 1);
  }

  /**
   * Adds the events {@code from..to} (inclusive) that {@code filter} matches to {@code out}, in
   * sequence order. Lock-free.
   *
   * @param to at most {@link #last()} as read before the call
   * @return false when one of them had been overwritten: {@code out} then holds a prefix and the
   *     caller must discard it
   */
  boolean copy(long from, long to, EventFilter filter, List<? super Event> out) {
    for (long s = from; s <= to; s++) {
      Event e = slots.getAcquire(index(s));
      if (e == null || e.sequence() != s) {
        return false;
      }
      if (filter.matches(e)) {
        out.add(e);
      }
    }
    return true;
  }

  private int index(long sequence) {
    return (int) ((sequence - 1) % capacity);
  }
}
