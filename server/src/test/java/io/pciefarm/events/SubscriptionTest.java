package io.pciefarm.events;

import static io.pciefarm.events.Streams.NVME;
import static io.pciefarm.events.Streams.PORT;
import static io.pciefarm.events.Streams.T0;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

class SubscriptionTest {
  private final EventBus bus = new EventBus(new ManualClock(T0), 64);
  private final EventLog log = bus.register("lab", 0);

  @Test
  void onReadyRunsOnceAfterAnEmptyPollAndNotBefore() {
    AtomicInteger ready = new AtomicInteger();
    Subscription s = bus.subscribe(EventFilter.all(), 0, 16, ready::incrementAndGet);
    log.publish(EventType.LINK_UP, PORT, 1);
    assertEquals(0, ready.get(), "not armed until a poll comes back empty");
    assertEquals(1, Streams.drain(s).size());
    log.publish(EventType.LINK_DOWN, PORT, 1);
    log.publish(EventType.LINK_UP, PORT, 1);
    assertEquals(1, ready.get(), "one signal until the consumer polls empty again");
    assertEquals(2, Streams.drain(s).size());
    log.publish(EventType.LINK_DOWN, PORT, 1);
    assertEquals(2, ready.get());
  }

  @Test
  void onReadyIsNotRunForEventsTheFilterRejects() {
    AtomicInteger ready = new AtomicInteger();
    Subscription s = bus.subscribe(EventFilter.all().inSlot(2), 0, 16, ready::incrementAndGet);
    assertNull(s.poll());
    log.publish(EventType.LINK_UP, PORT, 1);
    assertEquals(0, ready.get());
    log.publish(EventType.LINK_UP, PORT, 2);
    assertEquals(1, ready.get());
  }

  @Test
  void anOverflowGapAloneSignals() {
    AtomicInteger ready = new AtomicInteger();
    Subscription s = bus.subscribe(EventFilter.all(), 0, 1, ready::incrementAndGet);
    log.publish(EventType.INTERRUPT, NVME, 0);
    log.publish(EventType.INTERRUPT, NVME, 0);
    assertEquals(2, Streams.drain(s).size()); // the event and the gap
    log.publish(EventType.INTERRUPT, NVME, 0);
    assertEquals(1, ready.get());
  }

  @Test
  void aFailingOnReadyDoesNotDisturbPublishersOrOtherSubscribers() {
    Subscription bad = bus.subscribe(EventFilter.all(), 0, 16, () -> {
      throw new IllegalStateException("subscriber bug");
    });
    AtomicInteger ready = new AtomicInteger();
    Subscription good = bus.subscribe(EventFilter.all(), 0, 16, ready::incrementAndGet);
    assertNull(bad.poll());
    assertNull(good.poll());
    Event e = log.publish(EventType.POWER_FAULT, PORT, 1);
    assertEquals(1, ready.get());
    assertEquals(List.of(e), Streams.drain(bad));
    assertEquals(List.of(e), Streams.drain(good));
  }

  @Test
  void onReadyMayCloseOrPollItsOwnSubscription() {
    AtomicReference<Subscription> self = new AtomicReference<>();
    AtomicReference<StreamItem> polled = new AtomicReference<>();
    Subscription s = bus.subscribe(EventFilter.all(), 0, 16, () -> {
      polled.set(self.get().poll());
      self.get().close();
    });
    self.set(s);
    assertNull(s.poll());
    Event e = log.publish(EventType.ATTENTION_BUTTON, PORT, 1);
    assertSame(e, polled.get(), "onReady runs with no bus lock held, so it can poll");
    assertTrue(s.isClosed(), "and close");
    log.publish(EventType.ATTENTION_BUTTON, PORT, 1);
    assertNull(s.poll());
  }

  @Test
  void closeStopsDeliveryAndFreesTheBuffer() {
    Subscription s = bus.subscribe(EventFilter.all(), 0, 16);
    log.publish(EventType.INTERRUPT, NVME, 0);
    log.publish(EventType.INTERRUPT, NVME, 0);
    assertEquals(2, s.bufferedEvents());
    assertEquals(1, bus.subscriptionCount());
    s.close();
    assertTrue(s.isClosed());
    assertEquals(0, bus.subscriptionCount());
    assertNull(s.poll(), "buffered events are discarded");
    log.publish(EventType.INTERRUPT, NVME, 0);
    assertNull(s.poll());
    assertEquals(0, s.bufferedEvents());
    s.close(); // idempotent
    bus.register("later", 1).publish(EventType.INTERRUPT, NVME, 0);
    assertNull(s.poll(), "a closed subscription is not attached to new hierarchies");
  }

  @Test
  void closeDiscardsAPendingReplay() {
    log.publish(EventType.INTERRUPT, NVME, 0);
    Subscription s = bus.subscribe(EventFilter.all().inHierarchy("lab"), 1, 16);
    s.close();
    assertNull(s.poll());
  }

  @Test
  @Timeout(60)
  void aBlockingPollWakesForAnEventFromAnotherThread() throws Exception {
    Subscription s = bus.subscribe(EventFilter.all(), 0, 16);
    CompletableFuture<StreamItem> got = CompletableFuture.supplyAsync(() -> {
      try {
        return s.poll(Duration.ofSeconds(50));
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    });
    awaitParked(got); // so the wake-up path is used, not the first look
    Event e = log.publish(EventType.SLOT_PRESENCE_CHANGED, PORT, 1);
    assertSame(e, got.get(50, TimeUnit.SECONDS));
  }

  @Test
  void aBlockingPollTimesOutEmpty() throws Exception {
    Subscription s = bus.subscribe(EventFilter.all(), 0, 16);
    assertNull(s.poll(Duration.ofMillis(20)));
    assertNull(s.poll(Duration.ZERO));
    log.publish(EventType.INTERRUPT, NVME, 0);
    assertInstanceOf(Event.class, s.poll(Duration.ZERO), "an item waiting is returned at once");
  }

  @Test
  @Timeout(60)
  void closeWakesABlockingPoll() throws Exception {
    Subscription s = bus.subscribe(EventFilter.all(), 0, 16);
    CompletableFuture<StreamItem> got = CompletableFuture.supplyAsync(() -> {
      try {
        return s.poll(Duration.ofSeconds(50));
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    });
    awaitParked(got);
    s.close();
    assertNull(got.get(50, TimeUnit.SECONDS));
  }

  @Test
  @Timeout(60)
  void aBlockingPollIsInterruptible() throws Exception {
    Subscription s = bus.subscribe(EventFilter.all(), 0, 16);
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread t = new Thread(() -> {
      try {
        s.poll(Duration.ofSeconds(50));
      } catch (Throwable x) {
        thrown.set(x);
      }
    });
    t.start();
    t.interrupt();
    t.join();
    assertInstanceOf(InterruptedException.class, thrown.get());
    assertFalse(s.isClosed());
  }

  @Test
  void rejectsBadArguments() {
    assertThrows(IllegalArgumentException.class, () -> bus.subscribe(null, 0, 16));
    assertThrows(IllegalArgumentException.class, () -> bus.subscribe(EventFilter.all(), -1, 16));
    assertThrows(IllegalArgumentException.class, () -> bus.subscribe(EventFilter.all(), 0, 0));
    assertThrows(IllegalArgumentException.class,
        () -> bus.subscribe(EventFilter.all(), 0, EventBus.MAX_BUFFER + 1));
    assertEquals(0, bus.subscriptionCount());
  }

  private static void awaitParked(CompletableFuture<?> poller) {
    Streams.spinUntil(() -> poller.isDone() || Thread.getAllStackTraces().keySet().stream()
        .anyMatch(t -> t.getState() == Thread.State.TIMED_WAITING && isParkedIn(t)));
  }

  private static boolean isParkedIn(Thread t) {
    for (StackTraceElement frame : t.getStackTrace()) {
      if (frame.getClassName().equals(Subscription.class.getName())
          && frame.getMethodName().equals("poll")) {
        return true;
      }
    }
    return false;
  }
}
