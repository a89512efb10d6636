package io.pciefarm.events;

import java.time.InstantSource;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The farm's events: one {@link EventLog} per registered hierarchy, and the subscriptions that
 * read them.
 *
 * <h2>Concurrency</h2>
 * Registering, unregistering, subscribing and closing serialize on one registry lock, so a
 * subscription is attached to exactly the logs its filter accepts, including hierarchies
 * registered after it. Publishing never takes that lock (see {@link EventLog}).
 */
public final class EventBus {
  /** The history each log keeps unless the bus is told otherwise. */
  public static final int DEFAULT_HISTORY = 4096;
  /** The largest buffer a subscription may ask for. */
  public static final int MAX_BUFFER = 1 << 20;

  private final InstantSource clock;
  private final int historyCapacity;
  private final Object registry = new Object();
  /** Changed under registry; read without it by {@link #log}. */
  private final ConcurrentHashMap<String, EventLog> logs = new ConcurrentHashMap<>();
  /** Open subscriptions; guarded by registry. */
  private final Set<Subscription> subscriptions = new LinkedHashSet<>();

  /** A bus on the system clock, keeping {@link #DEFAULT_HISTORY} events per hierarchy. */
  public EventBus() {
    this(InstantSource.system(), DEFAULT_HISTORY);
  }

  /**
   * @param clock stamps every event; read under each log's lock, so it must be quick and never
   *     block
   * @param historyCapacity how many of its newest events each log keeps for resuming, at least 1
   */
  public EventBus(InstantSource clock, int historyCapacity) {
    if (clock == null) {
      throw new IllegalArgumentException("an event bus needs a clock");
    }
    if (historyCapacity < 1) {
      throw new IllegalArgumentException("history capacity must be at least 1, not "
          + historyCapacity);
    }
    this.clock = clock;
    this.historyCapacity = historyCapacity;
  }

  /**
   * Opens the log of a new hierarchy and publishes {@link EventType#HIERARCHY_CREATED} in it as
   * sequence 1, delivered to every open subscription that accepts the hierarchy.
   *
   * @return the log the hierarchy publishes into
   * @throws IllegalArgumentException when a hierarchy of that name is registered, or for a
   *     missing name or a segment outside 0..ffff
   */
  public EventLog register(String hierarchy, int segment) {
    if (hierarchy == null || hierarchy.isEmpty()) {
      throw new IllegalArgumentException("a hierarchy needs a name");
    }
    if (segment < 0 || segment > 0xFFFF) {
      throw new IllegalArgumentException("segment " + segment + " is outside 0..ffff");
    }
    EventLog log;
    EventLog.Published created;
    synchronized (registry) {
      if (logs.containsKey(hierarchy)) {
        throw new IllegalArgumentException("hierarchy '" + hierarchy
            + "' already has an event log");
      }
      log = new EventLog(hierarchy, segment, clock, historyCapacity);
      for (Subscription s : subscriptions) {
        if (s.filter().acceptsHierarchy(hierarchy)) {
          log.attach(s, 0);
          s.attached.add(log);
        }
      }
      // Before the log is visible, so nothing can be published ahead of it.
      created = log.open();
      logs.put(hierarchy, log);
    }
    created.signal();
    return log;
  }

  /**
   * Publishes {@link EventType#HIERARCHY_DELETED} as the hierarchy's last event, then closes its
   * log: later publishes into it are dropped, and its history is gone. Subscriptions stay open;
   * if the name is registered again they follow the new log, which starts again at sequence 1.
   *
   * @return false when no hierarchy of that name is registered
   */
  public boolean unregister(String hierarchy) {
    EventLog.Published deleted;
    synchronized (registry) {
      EventLog log = logs.remove(hierarchy);
      if (log == null) {
        return false;
      }
      deleted = log.close();
      for (Subscription s : deleted.targets()) {
        s.attached.remove(log);
      }
    }
    deleted.signal();
    return true;
  }

  /** The log of the hierarchy called {@code name}, if registered. Lock-free. */
  public Optional<EventLog> log(String hierarchy) {
    return hierarchy == null ? Optional.empty() : Optional.ofNullable(logs.get(hierarchy));
  }

  /** {@link #subscribe(EventFilter, long, int, Runnable)} without a readiness callback. */
  public Subscription subscribe(EventFilter filter, long resumeFrom, int bufferCapacity) {
    return subscribe(filter, resumeFrom, bufferCapacity, null);
  }

  /**
   * Opens a subscription.
   *
   * @param filter which events; a filter without a hierarchy follows every hierarchy, including
   *     those registered later
   * @param resumeFrom 0 for live events only (those published after this call); otherwise the
   *     sequence number of the first event wanted, e.g. one more than the last one a client saw.
   *     Needs a filter naming one registered hierarchy. The subscription first gets a
   *     {@link Gap.Cause#HISTORY_EXPIRED} gap if the history no longer reaches back that far,
   *     then every matching event still held from there, then live events, with none missed or
   *     repeated in between
   * @param bufferCapacity how many live events may wait for the subscriber before newer ones are
   *     dropped into a gap; 1 to {@link #MAX_BUFFER}. The replay does not count against it
   * @param onReady run when items arrive after a {@link Subscription#poll()} found none; null
   *     for none. See {@link Subscription} for its contract
   * @throws ResumeRejectedException when the resume point is unusable
   * @throws IllegalArgumentException for a bad capacity or a negative {@code resumeFrom}
   */
  public Subscription subscribe(EventFilter filter, long resumeFrom, int bufferCapacity,
      Runnable onReady) {
    if (filter == null) {
      throw new IllegalArgumentException("a subscription needs a filter; EventFilter.all() "
          + "takes everything");
    }
    if (resumeFrom < 0) {
      throw new IllegalArgumentException("resumeFrom is a sequence number (from 1) or 0 for "
          + "live only, not " + resumeFrom);
    }
    if (bufferCapacity < 1 || bufferCapacity > MAX_BUFFER) {
      throw new IllegalArgumentException("buffer capacity must be 1.." + MAX_BUFFER + ", not "
          + bufferCapacity);
    }
    if (resumeFrom > 0 && filter.hierarchy() == null) {
      throw new ResumeRejectedException(ResumeRejectedException.Reason.NEEDS_ONE_HIERARCHY,
          "sequence numbers are per hierarchy: resuming from " + resumeFrom
          + " needs a filter that names one hierarchy");
    }
    Subscription s = new Subscription(this, filter, bufferCapacity, onReady);
    List<StreamItem> replay = List.of();
    synchronized (registry) {
      if (resumeFrom > 0) {
        EventLog log = logs.get(filter.hierarchy());
        if (log == null) {
          throw new ResumeRejectedException(ResumeRejectedException.Reason.UNKNOWN_HIERARCHY,
              "no hierarchy named '" + filter.hierarchy() + "' is registered, so there is "
              + "nothing to resume from");
        }
        replay = log.attach(s, resumeFrom);
        s.attached.add(log);
      } else {
        for (EventLog log : logs.values()) {
          if (filter.acceptsHierarchy(log.hierarchy())) {
            log.attach(s, 0);
            s.attached.add(log);
          }
        }
      }
      subscriptions.add(s);
    }
    // Nobody can poll yet and onReady is not armed, so setting the replay after attaching is
    // invisible to the subscriber.
    s.replay(replay);
    return s;
  }

  /** Detaches a closing subscription from every log and from later registrations. */
  void detach(Subscription s) {
    synchronized (registry) {
      subscriptions.remove(s);
      for (EventLog log : s.attached) {
        log.detach(s);
      }
      s.attached.clear();
    }
  }

  /** Open subscriptions, for monitoring and for tests that check closing releases them. */
  public int subscriptionCount() {
    synchronized (registry) {
      return subscriptions.size();
    }
  }
}
