package io.pciefarm.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.pciefarm.hotplug.Indicator;
import io.pciefarm.hotplug.SlotObserver;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.Type1;
import io.pciefarm.time.ManualClock;
import io.pciefarm.time.TimeBase;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
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

  /** Records the cause of every ROUTING_CHANGED report, from any thread. */
  private static List<PciFunction> routingReports(Hierarchy h) {
    List<PciFunction> causes = new CopyOnWriteArrayList<>();
    h.topologyObserver(new TopologyObserver() {
      @Override
      public void routingChanged(PciFunction cause) {
        causes.add(cause);
      }
    });
    return causes;
  }

  @Test
  void theWriterReadingItsOwnChangeMidBurstPublishesNothing() throws Exception {
    List<PciFunction> reports = routingReports(h);
    h.coalesceRoutingChanges(() -> {
      port.config().write(Type1.PRIMARY_BUS, 4, 0x00_40_40_00);
      assertEquals("0003:40:00.0", nic.address().toString(), "the writer sees its own change");
      port.config().write(Type1.SUBORDINATE_BUS, 1, 0x41);
      assertEquals("0003:40:00.0", nic.reportedAddress().toString());
      try {
        assertSame(nic, elsewhere(h, 1), "another thread still routes as before");
        assertNull(elsewhere(h, 0x40));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      assertSame(nic, h.lookup(1, 0), "config accesses route as published, on this thread too");
      assertEquals(List.of(), reports, "nothing reported before the burst ends");
    });
    assertEquals(List.of(port), reports, "one ROUTING_CHANGED for the burst, caused by the port");
    assertSame(nic, elsewhere(h, 0x40));
    assertNull(elsewhere(h, 1));
  }

  /**
   * A restore after a reset writes bus numbers, then Slot Control; the slot command is an event,
   * and publishing it names functions by address (as {@link io.pciefarm.farm.EventPublisher}
   * does). That must not publish the burst's routing early.
   */
  @Test
  void aSlotEventMidBurstDoesNotPublishTheBurstsRouting() throws Exception {
    Hierarchy hp = HierarchyBuilder.build(Specs.spec("""
        {"name":"hp","devices":[{"device":3,"model":"root-port-hotplug","slot":5,
          "children":[{"device":0,"model":"nic-flr-hang"}]}]}"""),
        new TimeBase(new ManualClock(), 1.0));
    PciFunction slotPort = hp.lookup(0, 3 << 3);
    PciFunction card = hp.lookup(1, 0);
    List<String> named = new ArrayList<>();
    hp.hotPlug().observer(new SlotObserver() {
      @Override
      public void indicatorsChanged(PciFunction p, int slot, Indicator attention,
          Indicator power) {
        named.add(p.reportedAddress() + " " + card.reportedAddress());
      }
    });
    List<PciFunction> reports = routingReports(hp);
    int sltctl = slotPort.model().layout().capability(CapabilityId.EXP) + PciExpress.SLOT_CONTROL;
    hp.coalesceRoutingChanges(() -> {
      slotPort.config().write(Type1.PRIMARY_BUS, 4, 0x00_40_40_00);
      int ctl = slotPort.config().read(sltctl, 2) & ~PciExpress.SLTCTL_AIC_MASK;
      slotPort.config().write(sltctl, 2, ctl | 1 << PciExpress.SLTCTL_AIC_SHIFT); // attention on
      try {
        assertSame(card, elsewhere(hp, 1), "another thread still routes as before");
        assertNull(elsewhere(hp, 0x40));
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      assertEquals(List.of(), reports, "nothing reported before the burst ends");
    });
    assertEquals(List.of("0000:00:03.0 0000:40:00.0"), named,
        "the event names the card by the burst's own routing");
    assertEquals(List.of(slotPort), reports, "one ROUTING_CHANGED for the burst");
    assertSame(card, elsewhere(hp, 0x40));
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

  /**
   * The burst's private routing follows a bus-number change another thread publishes
   * meanwhile: the coalescing thread names functions below that other bridge by their new
   * numbers, not the ones from when its snapshot was made.
   */
  @Test
  void theBurstsOwnRoutingFollowsWhatOtherThreadsPublish() throws Exception {
    Hierarchy two = Specs.build("""
        {"name":"two","segment":4,"devices":[
          {"device":2,"model":"root-port","children":[{"device":0,"model":"nic-flr-hang"}]},
          {"device":3,"model":"root-port","children":[{"device":0,"model":"nic-flr-hang"}]}]}""");
    PciFunction a = two.lookup(0, 2 << 3);
    PciFunction b = two.lookup(0, 3 << 3);
    PciFunction underB = two.lookup(b.secondaryBusNumber(), 0);
    two.coalesceRoutingChanges(() -> {
      a.config().write(Type1.PRIMARY_BUS, 4, 0x00_40_40_00);
      assertEquals("0004:02:00.0", underB.address().toString(), "the burst's own snapshot");
      try {
        CompletableFuture.runAsync(() -> b.config().write(Type1.PRIMARY_BUS, 4, 0x00_50_50_00),
            r -> new Thread(r).start()).get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      assertEquals("0004:50:00.0", underB.address().toString(),
          "another thread's published change counts inside the burst too");
      assertEquals("0004:40:00.0", two.lookup(0, 2 << 3).secondary().functions().get(0)
          .address().toString(), "and the burst's own change still does");
    });
    assertSame(underB, two.lookup(0x50, 0));
  }
}
