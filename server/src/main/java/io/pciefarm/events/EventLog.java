package io.pciefarm.events;

import io.pciefarm.topology.PciAddress;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * One hierarchy's events: numbers them, keeps the newest in a bounded history, and hands them to
 * the subscriptions attached to it. Made by {@link EventBus#register}, which publishes
 * {@link EventType#HIERARCHY_CREATED} as sequence 1; {@link EventBus#unregister} publishes
 * {@link EventType#HIERARCHY_DELETED} as the last event and closes the log.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>Sequence numbers are 1, 2, 3 and so on with none skipped or repeated, whatever number of
 *       threads publish. If one {@link #publish} returns before another begins, the first gets
 *       the lower number.
 *   <li>Every attached subscription is offered the matching events in sequence order, each once.
 *   <li>Timestamps are read from the clock when the number is assigned, in the same critical
 *       section, so they never decrease along the sequence unless the clock does.
 *   <li>The history holds the newest {@link #historyCapacity()} events for resuming.
 * </ul>
 *
 * <h2>Cost to publishers</h2>
 * {@link #publish} never waits for a subscriber. It takes this log's lock, which is held only by
 * other publishers of this hierarchy and, briefly, by the bus attaching or detaching a
 * subscription; under it, it numbers and timestamps the event, stores it in the history, and
 * puts it in each matching subscriber's buffer (a few field writes each, under a lock that
 * consumers never take). Subscribers' {@code onReady} callbacks run after the lock is released.
 * A subscription that resumes copies the history without the lock, and takes it only to copy
 * what was published meanwhile (at most the history's capacity, in the rare case that publishers
 * overran its copy).
 */
public final class EventLog {
  private static final Subscription[] NONE = {};

  private final String hierarchy;
  private final int segment;
  private final InstantSource clock;
  private final HistoryRing history;
  private final Object lock = new Object();
  /** Guarded by lock. */
  private long lastSequence;
  /** Guarded by lock. */
  private boolean closed;
  /** Replaced (never mutated) under lock; publishers read it under lock, signals after. */
  private volatile Subscription[] subscribers = NONE;

  EventLog(String hierarchy, int segment, InstantSource clock, int historyCapacity) {
    this.hierarchy = hierarchy;
    this.segment = segment;
    this.clock = clock;
    this.history = new HistoryRing(historyCapacity);
  }

  public String hierarchy() {
    return hierarchy;
  }

  public int segment() {
    return segment;
  }

  /** How many of the newest events the log keeps for resuming subscriptions. */
  public int historyCapacity() {
    return history.capacity();
  }

  /** The sequence number of the newest event, 0 before the first. */
  public long lastSequence() {
    return history.last();
  }

  /** The oldest sequence number a subscription can still resume from without a gap. */
  public long oldestRetained() {
    return history.oldest(history.last());
  }

  /**
   * Numbers, records and delivers an event. Never blocks on subscribers.
   *
   * @param type what happened; not {@link EventType#HIERARCHY_CREATED} or
   *     {@link EventType#HIERARCHY_DELETED}, which the bus publishes
   * @param function the function it is about (a port, for slot and link events), or null
   * @param slot the physical slot it is about or the function sits in, 0 for none
   * @param details specifics keyed by {@link DetailKey}; null for none
   * @return the event, or null when the log is closed (the hierarchy was unregistered while
   *     this publisher was still running) and the event was dropped
   */
  public Event publish(EventType type, PciAddress function, int slot,
      Map<String, String> details) {
    if (type == EventType.HIERARCHY_CREATED || type == EventType.HIERARCHY_DELETED) {
      throw new IllegalArgumentException(type + " is published by the event bus itself");
    }
    if (type == null || slot < 0) {
      throw new IllegalArgumentException("an event needs a type and a slot number >= 0");
    }
    // Everything that can fail or allocate much happens before the lock.
    String address = function == null ? "" : function.toString();
    Map<String, String> fixed = details == null ? Map.of() : Map.copyOf(details);
    Event e;
    Subscription[] targets;
    synchronized (lock) {
      if (closed) {
        return null;
      }
      e = appendLocked(type, address, slot, fixed);
      targets = subscribers;
    }
    signal(e, targets);
    return e;
  }

  /** {@link #publish(EventType, PciAddress, int, Map)} without details. */
  public Event publish(EventType type, PciAddress function, int slot) {
    return publish(type, function, slot, Map.of());
  }

  @Override
  public String toString() {
    return "event log of " + hierarchy + " at " + history.last();
  }

  /** Publishes {@link EventType#HIERARCHY_CREATED}; the bus calls it first, before any publish. */
  Published open() {
    synchronized (lock) {
      assert lastSequence == 0;
      return new Published(appendLocked(EventType.HIERARCHY_CREATED, "", 0, Map.of()),
          subscribers);
    }
  }

  /**
   * Publishes {@link EventType#HIERARCHY_DELETED}, detaches every subscription and drops later
   * publishes.
   *
   * @return the final event and the subscriptions to signal for it
   */
  Published close() {
    synchronized (lock) {
      Event e = appendLocked(EventType.HIERARCHY_DELETED, "", 0, Map.of());
      Subscription[] targets = subscribers;
      subscribers = NONE;
      closed = true;
      return new Published(e, targets);
    }
  }

  /**
   * Attaches {@code s}: from now on it is offered every matching event. With
   * {@code resumeFrom > 0}, returns what it must see before them: a
   * {@link Gap.Cause#HISTORY_EXPIRED} gap when the history no longer reaches back to
   * {@code resumeFrom}, then every matching event from there up to the last one published before
   * the attachment. Live events start right after that, so nothing is missed or repeated.
   *
   * @throws ResumeRejectedException when {@code resumeFrom} is beyond the next sequence number
   */
  List<StreamItem> attach(Subscription s, long resumeFrom) {
    if (resumeFrom == 0) {
      synchronized (lock) {
        add(s);
      }
      return List.of();
    }
    return attach(s, resumeFrom, readHistory(resumeFrom, s.filter()));
  }

  /**
   * The first half of a resume, without the lock: copies the bulk of the history, validating
   * each slot, so that the lock is needed only for what is published meanwhile.
   */
  HistoryRead readHistory(long resumeFrom, EventFilter filter) {
    long seen = history.last();
    long start = Math.max(resumeFrom, history.oldest(seen));
    List<Event> events = new ArrayList<>();
    boolean intact = start > seen || history.copy(start, seen, filter, events);
    return new HistoryRead(start, Math.max(start, seen + 1), intact, events);
  }

  /** The second half of a resume, under the lock: completes {@code read} and attaches. */
  List<StreamItem> attach(Subscription s, long resumeFrom, HistoryRead read) {
    long start = read.start();
    long next = read.next();
    List<Event> events = read.events();
    synchronized (lock) {
      long last = lastSequence;
      if (resumeFrom > last + 1) {
        throw new ResumeRejectedException(ResumeRejectedException.Reason.NOT_YET_PUBLISHED,
            "cannot resume " + hierarchy + " from sequence " + resumeFrom
            + ": the newest event is " + last);
      }
      long oldest = history.oldest(last);
      if (!read.intact() || next < oldest) {
        // Publishers overwrote part of what was read, or what is still to read: copy it all
        // again under the lock, where nothing moves.
        events.clear();
        start = Math.max(resumeFrom, oldest);
        next = start;
      }
      boolean copied = next > last || history.copy(next, last, s.filter(), events);
      assert copied : "history moved under the log's lock";
      add(s);
    }
    List<StreamItem> replay = new ArrayList<>(events.size() + 1);
    if (start > resumeFrom) {
      replay.add(new Gap(Gap.Cause.HISTORY_EXPIRED, start - resumeFrom));
    }
    replay.addAll(events);
    return replay;
  }

  /**
   * What a lock-free read of the history found.
   *
   * @param start the first sequence it looked for (the expired ones are before it)
   * @param next the first sequence it did not read
   * @param intact false when a slot was overwritten while it read, voiding {@code events}
   * @param events the matching events from {@code start} to {@code next - 1}
   */
  record HistoryRead(long start, long next, boolean intact, List<Event> events) {
  }

  /** Stops offering events to {@code s}. */
  void detach(Subscription s) {
    synchronized (lock) {
      Subscription[] old = subscribers;
      for (int i = 0; i < old.length; i++) {
        if (old[i] == s) {
          Subscription[] shorter = Arrays.copyOf(old, old.length - 1);
          System.arraycopy(old, i + 1, shorter, i, old.length - i - 1);
          subscribers = shorter;
          return;
        }
      }
    }
  }

  private void add(Subscription s) {
    Subscription[] old = subscribers;
    Subscription[] longer = Arrays.copyOf(old, old.length + 1);
    longer[old.length] = s;
    subscribers = longer;
  }

  private Event appendLocked(EventType type, String function, int slot,
      Map<String, String> details) {
    Event e = new Event(hierarchy, segment, lastSequence + 1, clock.instant(), type, function,
        slot, details);
    lastSequence = e.sequence();
    history.append(e);
    for (Subscription s : subscribers) {
      if (s.filter().matches(e)) {
        s.offer(e);
      }
    }
    return e;
  }

  private static void signal(Event e, Subscription[] targets) {
    for (Subscription s : targets) {
      if (s.filter().matches(e)) {
        s.signalIfArmed();
      }
    }
  }

  /** An event appended under the lock, and the subscriptions to signal once it is released. */
  record Published(Event event, Subscription[] targets) {
    void signal() {
      EventLog.signal(event, targets);
    }
  }
}
