package io.pciefarm.events;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One subscriber's view of the {@link EventBus}: the events its {@link EventFilter} matches, in
 * each hierarchy's sequence order, pulled with {@link #poll()}. Made by
 * {@link EventBus#subscribe}.
 *
 * <h2>What it delivers</h2>
 * First, when resuming, the replay: a {@link Gap.Cause#HISTORY_EXPIRED} gap if the log no longer
 * holds the requested start, then every matching event still held from there on. Then live
 * events, buffered up to the capacity; a {@link Gap.Cause#BUFFER_OVERFLOW} gap stands where events
 * were dropped because the buffer was full (see {@link Gap}). Each event is delivered at most
 * once; every matching event is either delivered or counted in exactly one gap. Events of one
 * hierarchy arrive in sequence order; events of different hierarchies interleave arbitrarily.
 *
 * <h2>Readiness</h2>
 * Pulling is edge-triggered: a {@link #poll()} that finds nothing arms the subscription, and the
 * first item that arrives after that runs {@code onReady} once and disarms it. So a consumer
 * polls until it gets null and then waits for {@code onReady}; it must also drain once right
 * after subscribing (the subscription starts disarmed, so the replay is not signalled and
 * {@code onReady} never runs before {@link EventBus#subscribe} returns). Spurious runs are
 * possible; lost ones are not.
 *
 * <p>{@code onReady} runs on the publishing thread, possibly while the publisher holds locks of
 * its own, and possibly concurrently with itself when several hierarchies publish. It must only
 * hand off (typically {@code executor.execute(drain)}); whatever it throws is logged, and the
 * subscription stays armed, so the next matching event runs {@code onReady} again.
 *
 * <h2>Concurrency</h2>
 * {@link #poll()}, {@link #poll(Duration)} and {@link #close()} are thread-safe. Consumers
 * serialize on a lock that publishers never take, held for one dequeue.
 */
public final class Subscription implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(Subscription.class.getName());

  private final EventBus bus;
  private final EventFilter filter;
  private final Runnable onReady;
  private final GapQueue queue;
  private final ReentrantLock consumerLock = new ReentrantLock();
  private final AtomicBoolean armed = new AtomicBoolean();
  private final AtomicBoolean closing = new AtomicBoolean();
  private final ConcurrentLinkedQueue<Thread> waiters = new ConcurrentLinkedQueue<>();
  private volatile boolean closed;
  /** The replay still to deliver, or null; guarded by consumerLock. */
  private List<StreamItem> replay;
  private int replayNext;
  /** The logs this subscription is attached to; guarded by the bus's registry lock. */
  final List<EventLog> attached = new ArrayList<>(1);

  Subscription(EventBus bus, EventFilter filter, int capacity, Runnable onReady) {
    this.bus = bus;
    this.filter = filter;
    this.onReady = onReady;
    this.queue = new GapQueue(capacity);
  }

  public EventFilter filter() {
    return filter;
  }

  /** How many events the buffer holds before it drops. */
  public int capacity() {
    return queue.capacity();
  }

  /** Events dropped on overflow so far (the sum of the overflow gaps delivered and pending). */
  public long dropped() {
    return queue.dropped();
  }

  public boolean isClosed() {
    return closed;
  }

  /**
   * The next item, or null when none is waiting (which arms {@code onReady}) or the subscription
   * is closed. Never blocks on publishers.
   */
  public StreamItem poll() {
    consumerLock.lock();
    try {
      if (closed) {
        return null;
      }
      if (replay != null) {
        StreamItem x = replay.get(replayNext++);
        if (replayNext == replay.size()) {
          replay = null;
        }
        return x;
      }
      StreamItem x = queue.take();
      if (x != null) {
        return x;
      }
      armed.set(true);
      // A producer that put an item after the take above may have read the flag before it was
      // set, and not signalled: look again. Both sides use volatile accesses, so either this
      // sees the item or the producer sees the flag.
      if (!queue.hasItem()) {
        return null;
      }
      armed.set(false);
      return queue.take();
    } finally {
      consumerLock.unlock();
    }
  }

  /**
   * The next item, waiting up to {@code timeout} for one. Returns null on timeout or when the
   * subscription is (or gets) closed.
   *
   * @throws InterruptedException when interrupted while waiting
   */
  public StreamItem poll(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Thread me = Thread.currentThread();
    // Registered before polling, so a signal after the poll's arming finds this thread.
    waiters.add(me);
    try {
      while (true) {
        StreamItem x = poll();
        if (x != null || closed) {
          return x;
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return null;
        }
        LockSupport.parkNanos(this, left);
        if (Thread.interrupted()) {
          throw new InterruptedException();
        }
      }
    } finally {
      waiters.remove(me);
    }
  }

  /**
   * Stops delivery and frees the buffer: the subscription leaves every log, {@link #poll()}
   * returns null from now on and waiting polls return. Idempotent.
   */
  @Override
  public void close() {
    if (!closing.compareAndSet(false, true)) {
      return;
    }
    closed = true;
    bus.detach(this);
    consumerLock.lock();
    try {
      replay = null;
      queue.release();
    } finally {
      consumerLock.unlock();
    }
    wakeWaiters();
  }

  /** Sets what is delivered before the live events. Before the subscriber can poll. */
  void replay(List<StreamItem> items) {
    consumerLock.lock();
    try {
      replay = items.isEmpty() ? null : items;
      replayNext = 0;
    } finally {
      consumerLock.unlock();
    }
  }

  /** Buffers a live event. Called by its log in sequence order, under the log's lock. */
  void offer(Event e) {
    queue.offer(e);
  }

  /**
   * Runs {@code onReady} and wakes waiting polls if the consumer is waiting for an item. Called
   * by publishers after offering, outside every lock of the bus.
   */
  void signalIfArmed() {
    if (armed.get() && armed.compareAndSet(true, false)) {
      if (onReady != null && !closed) {
        try {
          onReady.run();
        } catch (RuntimeException ex) {
          // The consumer still waits for a signal that did not get through (say its executor
          // rejected the hand-off): arm again, so the next event retries instead of the
          // subscription stalling until someone happens to poll. At worst a spurious run.
          armed.set(true);
          LOG.log(Level.WARNING, "an event subscriber's onReady failed; it is retried with the"
              + " next event, and publishing goes on", ex);
        }
      }
      wakeWaiters();
    }
  }

  /** Whether a poll that found nothing is waiting for a signal; for tests' diagnostics. */
  boolean armed() {
    return armed.get();
  }

  /** Whether the buffer holds an item not yet taken; for tests' diagnostics. */
  boolean hasItem() {
    return queue.hasItem();
  }

  /** Events buffered now; for tests of the memory bound. */
  long bufferedEvents() {
    return queue.bufferedEvents();
  }

  private void wakeWaiters() {
    for (Thread t : waiters) {
      LockSupport.unpark(t);
    }
  }
}
