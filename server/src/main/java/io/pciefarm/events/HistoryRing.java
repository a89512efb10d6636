package io.pciefarm.events;

import java.util.List;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The newest {@code capacity} events of one log, by sequence number, for subscriptions that
 * resume.
 *
 * <p>The slots grow on demand, doubling from {@link #INITIAL_SLOTS} up to {@code capacity}: most
 * hierarchies of a large farm never publish more than a handful of events, and a ring allocated
 * at full size up front cost more heap than the config spaces it reports on. Growth happens only
 * before the ring first wraps, so growing is a plain copy.
 *
 * <h2>Concurrency</h2>
 * One writer at a time (the log appends under its lock); any number of readers, without a lock.
 * A reader can tell whether what it read is still valid: the slot of sequence {@code s} holds
 * {@code s}, {@code s + capacity}, {@code s + 2 * capacity} and so on in turn, and every event
 * carries its own sequence number, so a slot that no longer holds {@code s} has been overwritten.
 * A grown array is published before any event appended to it, and holds a copy of every event
 * of the one it replaces; a reader that saw {@link #last()} therefore finds every event up to it
 * in whichever array it then reads.
 */
final class HistoryRing {
  /** Slots allocated before the first growth. */
  static final int INITIAL_SLOTS = 16;

  /** Replaced (by a larger copy) only by the writer, before the ring first wraps. */
  private volatile AtomicReferenceArray<Event> slots;
  private final int capacity;
  /** The newest sequence appended, 0 before the first; written after its slot. */
  private volatile long last;

  HistoryRing(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("history capacity must be at least 1, not " + capacity);
    }
    this.capacity = capacity;
    this.slots = new AtomicReferenceArray<>(Math.min(capacity, INITIAL_SLOTS));
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
    AtomicReferenceArray<Event> a = slots;
    if (e.sequence() > a.length() && a.length() < capacity) {
      a = grown(a);
    }
    a.setRelease(index(e.sequence()), e);
    last = e.sequence();
  }

  /** Slots allocated now: at most {@link #capacity()}. */
  int allocated() {
    return slots.length();
  }

  private AtomicReferenceArray<Event> grown(AtomicReferenceArray<Event> full) {
    int n = full.length();
    AtomicReferenceArray<Event> bigger = new AtomicReferenceArray<>(
        (int) Math.min(capacity, 2L * n));
    for (int i = 0; i < n; i++) {
      bigger.setPlain(i, full.getPlain(i));
    }
    slots = bigger; // volatile: the copies are visible to whoever reads this array
    return bigger;
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
    AtomicReferenceArray<Event> a = slots;
    for (long s = from; s <= to; s++) {
      Event e = a.getAcquire(index(s));
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
