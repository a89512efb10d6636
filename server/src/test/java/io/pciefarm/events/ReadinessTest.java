package io.pciefarm.events;

import static io.pciefarm.events.Streams.NVME;
import static io.pciefarm.events.Streams.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Ping-pong between a publisher and a consumer that only ever waits for a signal: the publisher
 * publishes one event and waits until the consumer has it, many times over. A signal that is
 * never sent, or sent before the consumer can see the event, leaves the consumer waiting for an
 * event that is already there: the round stalls, and the test fails naming the round and the
 * subscription's state. Nothing here measures time; the stall bound only turns a hang into a
 * diagnosis.
 *
 * <p>The publisher parks between rounds and the consumer unparks it, so neither side spins for
 * a core the other needs. This test used to time out about once in eight builds; the cause was a
 * real lost wake-up (a publisher descheduled between filling a slot and counting it, see
 * {@link GapQueue#hasItem}), which a ping-pong reaches only by luck: such interleavings are
 * model-checked in {@link SubscriptionLincheckTest}.
 */
class ReadinessTest {
  private static final int ROUNDS = 20_000;
  /** A round that makes no progress for this long has lost its wake-up. */
  private static final Duration STALL = Duration.ofSeconds(30);

  /**
   * Parks until {@code received} reaches {@code round}, woken by the consumer; fails with
   * {@code state} when a round stalls, or with the consumer's failure.
   */
  private static void awaitRound(int round, AtomicLong received,
      AtomicReference<Throwable> failed, Supplier<String> state) {
    long since = System.nanoTime();
    while (received.get() < round) {
      if (failed.get() != null) {
        throw new AssertionError("the consumer failed in round " + round, failed.get());
      }
      if (System.nanoTime() - since > STALL.toNanos()) {
        throw new AssertionError("round " + round + " stalled for " + STALL.toSeconds()
            + " s, a lost wake-up: " + received.get() + " events received; " + state.get());
      }
      LockSupport.parkNanos(ReadinessTest.class, TimeUnit.MILLISECONDS.toNanos(100));
      if (Thread.interrupted()) {
        throw new AssertionError("interrupted in round " + round);
      }
    }
  }

  private static String state(Subscription s) {
    return "subscription armed=" + s.armed() + ", hasItem=" + s.hasItem() + ", buffered="
        + s.bufferedEvents() + ", dropped=" + s.dropped();
  }

  @Test
  void onReadyNeverLosesAWakeUp() throws Exception {
    EventBus bus = new EventBus(new ManualClock(T0), 16);
    EventLog log = bus.register("lab", 0);
    ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>());
    Thread publisher = Thread.currentThread();
    AtomicLong received = new AtomicLong();
    AtomicReference<Subscription> sub = new AtomicReference<>();
    AtomicReference<Throwable> failed = new AtomicReference<>();
    Runnable drain = () -> {
      try {
        for (StreamItem x = sub.get().poll(); x != null; x = sub.get().poll()) {
          assertEquals(received.get() + 2, ((Event) x).sequence());
          received.incrementAndGet();
          LockSupport.unpark(publisher);
        }
      } catch (Throwable t) {
        failed.set(t);
        LockSupport.unpark(publisher);
      }
    };
    sub.set(bus.subscribe(EventFilter.all(), 0, 4, () -> executor.execute(drain)));
    executor.submit(drain).get();
    try {
      for (int i = 1; i <= ROUNDS; i++) {
        log.publish(EventType.INTERRUPT, NVME, 0);
        awaitRound(i, received, failed, () -> state(sub.get()) + ", executor queue="
            + executor.getQueue().size() + ", executor active=" + executor.getActiveCount());
      }
    } finally {
      executor.shutdownNow();
    }
    assertEquals(ROUNDS, received.get());
    assertEquals(0, sub.get().dropped());
  }

  @Test
  void aBlockingPollNeverLosesAWakeUp() throws Exception {
    EventBus bus = new EventBus(new ManualClock(T0), 16);
    EventLog log = bus.register("lab", 0);
    Subscription s = bus.subscribe(EventFilter.all(), 0, 4);
    Thread publisher = Thread.currentThread();
    AtomicLong received = new AtomicLong();
    AtomicReference<Throwable> failed = new AtomicReference<>();
    Thread consumer = new Thread(() -> {
      try {
        while (received.get() < ROUNDS) {
          // Far longer than any stall bound: only a wake-up can end the wait.
          StreamItem x = s.poll(Duration.ofHours(1));
          assertEquals(received.get() + 2, ((Event) x).sequence());
          received.incrementAndGet();
          LockSupport.unpark(publisher);
        }
      } catch (Throwable t) {
        failed.set(t);
        LockSupport.unpark(publisher);
      }
    });
    consumer.setDaemon(true); // a hung consumer must not keep the test JVM alive
    consumer.start();
    for (int i = 1; i <= ROUNDS; i++) {
      log.publish(EventType.INTERRUPT, NVME, 0);
      awaitRound(i, received, failed, () -> state(s) + ", consumer " + consumer.getState());
    }
    consumer.join();
    assertEquals(ROUNDS, received.get());
  }

  /**
   * An {@code onReady} that throws (an executor rejecting the hand-off) leaves the subscription
   * armed: the next event signals again rather than the subscriber stalling until it polls.
   */
  @Test
  void aFailedOnReadyIsRetriedByTheNextEvent() {
    EventBus bus = new EventBus(new ManualClock(T0), 16);
    EventLog log = bus.register("lab", 0);
    AtomicInteger runs = new AtomicInteger();
    Subscription s = bus.subscribe(EventFilter.all(), 0, 4, () -> {
      if (runs.incrementAndGet() == 1) {
        throw new RejectedExecutionException("the drain pool is full");
      }
    });
    assertEquals(null, s.poll(), "nothing yet: arms");
    log.publish(EventType.INTERRUPT, NVME, 0);
    assertEquals(1, runs.get());
    assertTrue(s.armed(), "the failed signal did not get through: still armed");
    log.publish(EventType.INTERRUPT, NVME, 0);
    assertEquals(2, runs.get(), "the next event signals again");
    assertEquals(java.util.List.of(2L, 3L), Streams.sequences(Streams.drain(s)));
    log.publish(EventType.INTERRUPT, NVME, 0);
    assertEquals(3, runs.get(), "a successful signal disarms until the next empty poll");
    log.publish(EventType.INTERRUPT, NVME, 0);
    assertEquals(3, runs.get(), "edge-triggered: no poll, no new signal");
  }
}
