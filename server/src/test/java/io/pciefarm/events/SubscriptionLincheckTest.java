package io.pciefarm.events;

import java.util.concurrent.atomic.AtomicInteger;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

/**
 * Model checking of the edge-triggered hand-off between publishers and a subscriber
 * ({@link Subscription#poll()}, {@link GapQueue}, {@link Subscription#signalIfArmed}): Lincheck
 * explores interleavings of publishes against polls, switching threads between any two shared
 * accesses, so it reaches the races a stress test almost never does (a publisher descheduled
 * between filling a slot and counting it, a consumer between its empty look and its arming).
 *
 * <p>Two properties: what the polls return is linearizable (events in sequence order, each once),
 * and no wake-up is lost: when the consumer's last poll found nothing, an event still buffered at
 * the end must have been announced by an {@code onReady} that ran after that poll began.
 */
public class SubscriptionLincheckTest {
  private final EventBus bus = new EventBus(new ManualClock(Streams.T0), 16);
  private final EventLog log = bus.register("lab", 0);
  private final AtomicInteger signals = new AtomicInteger();
  private final Subscription sub = bus.subscribe(EventFilter.all(), 0, 8, signals::incrementAndGet);
  /** Signals counted when the consumer's last poll began, if it found nothing; else -1. */
  private int waitingSince = -1;

  @Operation
  public void publish() {
    log.publish(EventType.INTERRUPT, Streams.NVME, 0);
  }

  /** The sequence number polled, or -1 for nothing (which arms the subscription). */
  @Operation(nonParallelGroup = "consumer")
  public long poll() {
    int before = signals.get();
    StreamItem x = sub.poll();
    waitingSince = x == null ? before : -1;
    return x == null ? -1 : ((Event) x).sequence();
  }

  @Validate
  public void noLostWakeUp() {
    if (waitingSince >= 0 && sub.bufferedEvents() > 0 && signals.get() == waitingSince) {
      throw new IllegalStateException("lost wake-up: the consumer's last poll found nothing, "
          + sub.bufferedEvents() + " event(s) wait, and onReady has not run since (armed="
          + sub.armed() + ")");
    }
  }

  /**
   * 15 s on a quiet machine, up to 80 s on a loaded one. Both mutations of the hand-off tried
   * fail it with a printed interleaving: the old {@code itemsPut != itemsTaken} in {@link
   * GapQueue#hasItem} (a publisher descheduled between filling a slot and counting it), and a
   * poll that returns right after arming without looking again.
   */
  @Test
  void pollsAndPublishesLoseNoWakeUp() {
    new ModelCheckingOptions()
        .iterations(12)
        .invocationsPerIteration(300)
        .threads(2)
        .actorsPerThread(3)
        .actorsBefore(1)
        .actorsAfter(0)
        .check(SubscriptionLincheckTest.class);
  }
}
