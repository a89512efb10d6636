package io.pciefarm.events;

import static io.pciefarm.events.Streams.NVME;
import static io.pciefarm.events.Streams.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Ping-pong between a publisher and a consumer that only ever waits for a signal: the publisher
 * publishes one event and waits until the consumer has it, many times over. A signal that is
 * never sent, or sent before the consumer can see the event, leaves the consumer waiting for an
 * event that is already there and the publisher waiting for the consumer, and the test times
 * out. Nothing here measures time.
 *
 * <p>The one race this cannot reach is a consumer descheduled between its empty look and its
 * arming; that case rests on the volatile handshake argued in {@link GapQueue#hasItem} and
 * {@link Subscription#poll()}.
 */
class ReadinessTest {
  private static final int ROUNDS = 20_000;

  @Test
  @Timeout(120)
  void onReadyNeverLosesAWakeUp() throws Exception {
    EventBus bus = new EventBus(new ManualClock(T0), 16);
    EventLog log = bus.register("lab", 0);
    ExecutorService executor = Executors.newSingleThreadExecutor();
    AtomicLong received = new AtomicLong();
    AtomicReference<Subscription> sub = new AtomicReference<>();
    AtomicReference<Throwable> failed = new AtomicReference<>();
    Runnable drain = () -> {
      try {
        for (StreamItem x = sub.get().poll(); x != null; x = sub.get().poll()) {
          assertEquals(received.get() + 2, ((Event) x).sequence());
          received.incrementAndGet();
        }
      } catch (Throwable t) {
        failed.set(t);
      }
    };
    sub.set(bus.subscribe(EventFilter.all(), 0, 4, () -> executor.execute(drain)));
    executor.submit(drain).get();
    try {
      for (int i = 1; i <= ROUNDS; i++) {
        log.publish(EventType.INTERRUPT, NVME, 0);
        int round = i;
        Streams.spinUntil(() -> received.get() >= round || failed.get() != null);
        if (failed.get() != null) {
          throw new AssertionError("the drain failed", failed.get());
        }
      }
    } finally {
      executor.shutdownNow();
    }
    assertEquals(ROUNDS, received.get());
    assertEquals(0, sub.get().dropped());
  }

  @Test
  @Timeout(120)
  void aBlockingPollNeverLosesAWakeUp() throws Exception {
    EventBus bus = new EventBus(new ManualClock(T0), 16);
    EventLog log = bus.register("lab", 0);
    Subscription s = bus.subscribe(EventFilter.all(), 0, 4);
    AtomicLong received = new AtomicLong();
    AtomicReference<Throwable> failed = new AtomicReference<>();
    Thread consumer = new Thread(() -> {
      try {
        while (received.get() < ROUNDS) {
          // Far longer than the test's timeout: only a wake-up can end the wait.
          StreamItem x = s.poll(Duration.ofHours(1));
          assertEquals(received.get() + 2, ((Event) x).sequence());
          received.incrementAndGet();
        }
      } catch (Throwable t) {
        failed.set(t);
      }
    });
    consumer.setDaemon(true); // a hung consumer must not keep the test JVM alive
    consumer.start();
    for (int i = 1; i <= ROUNDS; i++) {
      log.publish(EventType.INTERRUPT, NVME, 0);
      int round = i;
      Streams.spinUntil(() -> received.get() >= round || failed.get() != null);
      if (failed.get() != null) {
        throw new AssertionError("the consumer failed", failed.get());
      }
    }
    consumer.join();
    assertEquals(ROUNDS, received.get());
  }
}
