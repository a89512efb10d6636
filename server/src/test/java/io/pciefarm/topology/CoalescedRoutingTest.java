package io.pciefarm.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.pciefarm.spec.Type1;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link Hierarchy#coalesceRoutingChanges}: one publish for a burst of routing writes. */
class CoalescedRoutingTest {
  /** Root port 00:02.0 routes bus 1 to a NIC. */
  private static final String BOX = """
      {"name":"h","segment":3,"devices":[
        {"device":2,"model":"root-port","children":[{"device":0,"model":"nic-flr-hang"}]}]}""";

  private final Hierarchy h = Specs.build(BOX);
  private final PciFunction port = h.lookup(0, 2 << 3);
  private final PciFunction nic = h.lookup(1, 0);

  /** What another thread's lookup of {@code bus}, device 0 finds. */
  private static PciFunction elsewhere(Hierarchy h, int bus) throws Exception {
    return CompletableFuture.supplyAsync(() -> h.lookup(bus, 0), r -> new Thread(r).start())
        .get(10, TimeUnit.SECONDS);
  }

  @Test
  void otherThreadsSeeTheBurstOnlyWhenItEndsTheWriterAtOnce() throws Exception {
    h.coalesceRoutingChanges(() -> {
      port.config().write(Type1.PRIMARY_BUS, 4, 0x00_40_40_00); // bus 1 becomes bus 0x40
      try {
        assertSame(nic, elsewhere(h, 1), "another thread still routes as before");
        assertNull(elsewhere(h, 0x40));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      assertEquals("0003:40:00.0", nic.address().toString(), "the writer sees its own change");
    });
    assertSame(nic, elsewhere(h, 0x40), "published when the burst ends");
    assertNull(elsewhere(h, 1));
    assertEquals("0003:40:00.0", nic.address().toString());
  }

  @Test
  void nestedBurstsPublishAtTheOuterEnd() throws Exception {
    h.coalesceRoutingChanges(() -> {
      h.coalesceRoutingChanges(() -> port.config().write(Type1.SECONDARY_BUS, 1, 0x20));
      port.config().write(Type1.SUBORDINATE_BUS, 1, 0x20);
      try {
        assertSame(nic, elsewhere(h, 1), "not yet published after the inner burst");
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    });
    assertSame(nic, elsewhere(h, 0x20));
  }

  @Test
  void aSecondThreadsBurstPublishesAsUsualWhileTheFirstRuns() throws Exception {
    CountDownLatch inside = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Thread first = new Thread(() -> h.coalesceRoutingChanges(() -> {
      inside.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }));
    first.start();
    inside.await(10, TimeUnit.SECONDS);
    h.coalesceRoutingChanges(() -> port.config().write(Type1.PRIMARY_BUS, 4, 0x00_30_30_00));
    assertSame(nic, h.lookup(0x30, 0), "published by the write itself");
    release.countDown();
    first.join(10_000);
  }
}
