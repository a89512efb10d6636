package io.pciefarm.events;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * One subscriber's buffer: at most {@code capacity} events, and a gap marker wherever events had
 * to be dropped because it was full.
 *
 * <h2>Overflow</h2>
 * When {@code capacity} events are waiting, a new event is dropped (the newest is dropped, never
 * one already buffered) and counted in the gap marker at the tail of the queue, creating one if
 * the tail is an event. Drops with no accepted event between them therefore land in one gap, and
 * every gap sits exactly between the last event accepted before its drops and the first accepted
 * after them. A gap stays open for more drops until the consumer takes it; taking it seals it,
 * and an event arriving after that finds room (the consumer has taken everything before the gap).
 *
 * <h2>Concurrency</h2>
 * Producers (publishers of every hierarchy the subscription follows) serialize on a lock of their
 * own, held for a few field writes; the consumer never takes it, so a consumer that stalls, or is
 * descheduled mid-{@link #take}, cannot hold a publisher up. Calls to {@link #take} must not
 * overlap (the {@link Subscription} serializes them). Handover is through the slots themselves:
 * a producer publishes a slot with a release write, the consumer reads it with an acquire and
 * clears it the same way.
 *
 * <h2>Bounds</h2>
 * Outstanding items are at most {@code capacity} events and {@code capacity + 1} gaps (no two
 * gaps are ever adjacent, so each is followed by an event or is the last item), hence
 * {@code 2 * capacity + 1} slots always suffice and a producer always finds its slot free.
 */
final class GapQueue {
  private final int capacity;
  private final Object producerLock = new Object();
  /** Null once released. */
  private volatile AtomicReferenceArray<Object> slots;
  /** Events taken so far; written only by the consumer, after clearing the event's slot. */
  private volatile long eventsTaken;
  /** Events dropped so far; written only under {@link #producerLock}. */
  private volatile long dropped;
  /**
   * Items (events and gaps) put so far; written only under {@link #producerLock}, after the
   * item's slot. Volatile on both sides so that a consumer arming for a signal and a producer
   * checking for one cannot both miss each other (see {@link #hasItem}).
   */
  private volatile long itemsPut;

  // Producer side, guarded by producerLock.
  private int tail;
  private long eventsPut;
  /** The gap in the tail slot, still accepting drops until sealed; null when the tail is not one. */
  private OpenGap openGap;

  // Consumer side, confined to the (serialized) consumer.
  private int head;
  private long itemsTaken;

  GapQueue(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("buffer capacity must be at least 1, not " + capacity);
    }
    this.capacity = capacity;
    this.slots = new AtomicReferenceArray<>(2 * capacity + 1);
  }

  int capacity() {
    return capacity;
  }

  /**
   * Buffers {@code e}, or counts it in a gap when the buffer is full. Never waits for the
   * consumer. Does nothing once released.
   */
  void offer(Event e) {
    synchronized (producerLock) {
      AtomicReferenceArray<Object> s = slots;
      if (s == null) {
        return;
      }
      while (true) {
        if (eventsPut - eventsTaken < capacity) {
          put(s, e);
          eventsPut++;
          openGap = null;
          return;
        }
        OpenGap g = openGap;
        if (g == null) {
          g = new OpenGap();
          put(s, g);
          openGap = g;
          dropped++;
          return;
        }
        if (g.extend()) {
          dropped++;
          return;
        }
        // Sealed: the consumer took the gap and so every event before it, and no event was
        // put after it. The count read through the seal shows the room; look again.
        openGap = null;
      }
    }
  }

  /** The next item, or null when none is waiting or the queue is released. */
  StreamItem take() {
    AtomicReferenceArray<Object> s = slots;
    if (s == null) {
      return null;
    }
    Object x = s.getAcquire(head);
    if (x == null) {
      return null;
    }
    StreamItem item = x instanceof OpenGap g
        ? new Gap(Gap.Cause.BUFFER_OVERFLOW, g.seal())
        : (Event) x;
    s.setRelease(head, null);
    head = next(head, s.length());
    itemsTaken++;
    if (item instanceof Event) {
      // After clearing the slot, so a producer that sees the room also sees the free slot.
      eventsTaken = eventsTaken + 1;
    }
    return item;
  }

  /**
   * True when an item has been put that the consumer has not taken. Consumer only. A volatile
   * read, so that "consumer writes its armed flag, then calls this" and "producer puts, then
   * reads the flag" are ordered against each other: at least one of them sees the other's write.
   *
   * <p>"More put than taken", not "a different number": a producer fills the slot before it
   * counts the item, so a consumer can take an item the count does not show yet. Counts that
   * differ that way mean nothing is waiting, and the producer, counting next, sees the flag.
   */
  boolean hasItem() {
    return slots != null && itemsPut - itemsTaken > 0;
  }

  /** Events dropped on overflow so far. */
  long dropped() {
    return dropped;
  }

  /** Events buffered now (an upper bound while the consumer is taking). */
  long bufferedEvents() {
    synchronized (producerLock) {
      return slots == null ? 0 : eventsPut - eventsTaken;
    }
  }

  /**
   * Frees the buffer: later offers do nothing and takes return null. The consumer must not be
   * inside {@link #take} (the subscription holds its consumer lock).
   */
  void release() {
    synchronized (producerLock) {
      slots = null;
      openGap = null;
    }
  }

  private void put(AtomicReferenceArray<Object> s, Object item) {
    assert s.getAcquire(tail) == null : "slot " + tail + " still holds " + s.get(tail);
    s.setRelease(tail, item);
    tail = next(tail, s.length());
    itemsPut = itemsPut + 1;
  }

  private static int next(int index, int length) {
    return index + 1 == length ? 0 : index + 1;
  }

  /** A gap marker that counts drops until the consumer seals it. */
  private static final class OpenGap {
    /** Drops counted so far; -1 once sealed. */
    private final AtomicLong missed = new AtomicLong(1);

    /** Counts one more drop; false when already sealed. */
    boolean extend() {
      while (true) {
        long m = missed.get();
        if (m < 0) {
          return false;
        }
        if (missed.compareAndSet(m, m + 1)) {
          return true;
        }
      }
    }

    /** Stops counting and returns the total. */
    long seal() {
      return missed.getAndSet(-1);
    }
  }
}
