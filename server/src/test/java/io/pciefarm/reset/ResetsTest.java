package io.pciefarm.reset;

import static io.pciefarm.reset.ResetFixture.fn;
import static io.pciefarm.reset.ResetFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.ownership.Owner;
import io.pciefarm.reset.ResetException.Kind;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.Type1;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

/** Reset requests: one call, the method chosen in Linux's order, ownership, ordering, time. */
class ResetsTest {
  private static final String BOX = """
      {"name":"box","devices":[
        {"device":1,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd"}]},
        {"device":2,"model":"root-port-acs","children":[{"device":0,"model":"gpu"}]},
        {"device":3,"model":"root-port-hotplug-acs","slot":7,"children":[{"device":0,"model":"usb3-bus-reset-only"}]},
        {"device":4,"model":"root-port-acs","children":[{"device":0,"model":"nic-flr-hang"}]},
        {"device":5,"model":"root-port-acs","children":[
          {"device":0,"model":"switch-upstream-port","children":[
            {"device":0,"model":"switch-downstream-port","children":[{"device":0,"model":"nvme-ssd"}]},
            {"device":1,"model":"switch-downstream-port","children":[{"device":0,"model":"nvme-ssd"}]}]}]}]}""";

  private final ResetFixture x = new ResetFixture(BOX);

  private ResetResult run(ResetRequest r) throws Exception {
    CompletableFuture<ResetResult> f = x.h.resets().reset(r);
    x.clock.runAll();
    assertTrue(f.isDone(), "finished once its scheduled steps ran");
    return f.get();
  }

  @Test
  void methodsAreTriedInLinuxOrder() throws Exception {
    assertEquals(ResetMethod.DEVICE_SPECIFIC, run(request(fn("0000:01:00.0"), "ANY")).plan().method());
    assertEquals(ResetMethod.FLR, run(request(fn("0000:01:00.0"), "flr,bus")).plan().method());
    assertEquals(ResetMethod.BUS, run(request(fn("0000:01:00.0"), "LINK")).plan().method());
    assertEquals(ResetMethod.SLOT, run(request(fn("0000:03:00.0"), "ANY")).plan().method());
    ResetException e = assertThrows(ResetException.class,
        () -> x.h.resets().reset(request(fn("0000:03:00.0"), "FUNC")));
    assertEquals(Kind.NO_METHOD, e.kind());
    assertTrue(e.getMessage().contains("'slot'"), e.getMessage());
  }

  @Test
  void resetMethodListIsReadableSettableAndValidated() throws Exception {
    PciFunction nvme = x.at("0000:01:00.0");
    assertEquals("device_specific flr bus", ResetMethods.show(nvme));
    ResetMethods.set(nvme, "bus flr");
    assertEquals("bus flr", ResetMethods.show(nvme));
    assertEquals(ResetMethod.BUS, run(request(fn("0000:01:00.0"), "ANY")).plan().method());
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> ResetMethods.set(nvme, "flr pm"));
    assertTrue(bad.getMessage().contains("does not support reset method 'pm'"), bad.getMessage());
    assertThrows(IllegalArgumentException.class, () -> ResetMethods.set(nvme, "flr flr"));
    assertThrows(IllegalArgumentException.class, () -> ResetMethods.set(nvme, "warp"));
    assertEquals("bus flr", ResetMethods.show(nvme), "a refused list keeps the old one");
    ResetMethods.set(nvme, "");
    assertEquals("", ResetMethods.show(nvme));
    ResetException off = assertThrows(ResetException.class,
        () -> x.h.resets().reset(request(fn("0000:01:00.0"), "ANY")));
    assertTrue(off.getMessage().contains("resets are disabled"), off.getMessage());
    ResetMethods.set(nvme, "default");
    assertEquals("device_specific flr bus", ResetMethods.show(nvme));
  }

  @Test
  void probeReportsTheAffectedSetAndChangesNothing() {
    PciFunction gpu = x.at("0000:02:00.0");
    gpu.config().write(Header.COMMAND, 2, Header.COMMAND_MASTER | Header.COMMAND_MEMORY);
    int before = gpu.config().read(Header.COMMAND, 2);
    ResetPlan plan = x.h.resets().probe(request(new ResetTarget.Bus(2), "LINK"));
    assertEquals(ResetMethod.BUS, plan.method());
    assertEquals(List.of("0000:02:00.0", "0000:02:00.1"),
        plan.affected().stream().map(AffectedFunction::address).toList());
    int group = x.h.groups().groupOf(gpu);
    assertEquals(List.of(group, group), plan.affected().stream().map(AffectedFunction::group).toList());
    assertEquals(Owner.HOST, plan.affected().get(0).owner());
    assertEquals("bus mastering enabled", plan.affected().get(0).inUse());
    assertEquals(before, gpu.config().read(Header.COMMAND, 2));
    assertEquals(0, x.clock.pending());
  }

  @Test
  void resetReachingFunctionsOfAnotherOwnerIsRefusedNamingThemAndTouchesNothing() {
    Owner alice = Owner.lease("lease-1", "alice");
    Owner bob = Owner.lease("lease-2", "bob");
    x.at("0000:02:00.0").owner(alice);
    x.at("0000:02:00.1").owner(bob);
    x.at("0000:02:00.0").config().write(Header.COMMAND, 2, Header.COMMAND_MASTER);
    ResetRequest r = new ResetRequest(new ResetTarget.Device(PciAddress.parse("0000:02:00.0")),
        MethodSet.LINK, ResetRequest.Mode.TRY, null, false, alice);
    ResetException e = assertThrows(ResetException.class, () -> x.h.resets().reset(r));
    assertEquals(Kind.NOT_OWNER, e.kind());
    assertEquals(List.of("0000:02:00.1 (lease lease-2 (bob))"), e.blocking());
    assertEquals(Header.COMMAND_MASTER, x.at("0000:02:00.0").config().read(Header.COMMAND, 2));
    assertEquals(0, x.clock.pending());
  }

  @Test
  void ownerGetsTheResetWithAnInUseWarning() throws Exception {
    Owner alice = Owner.lease("lease-1", "alice");
    x.at("0000:02:00.0").owner(alice);
    x.at("0000:02:00.1").owner(alice);
    x.at("0000:02:00.0").config().write(Header.COMMAND, 2, Header.COMMAND_MASTER);
    ResetResult r = run(new ResetRequest(new ResetTarget.Device(PciAddress.parse("0000:02:00.0")),
        MethodSet.ANY, ResetRequest.Mode.WAIT, null, false, alice));
    assertEquals(ResetMethod.PM, r.plan().method(), "both GPU functions advertise PM reset");
    assertEquals(List.of("0000:02:00.0 is in use: bus mastering enabled"), r.warnings());
  }

  @Test
  void busResetOfTheRootBusIsRefused() {
    ResetException e = assertThrows(ResetException.class,
        () -> x.h.resets().reset(request(new ResetTarget.Bus(0), "ANY")));
    assertEquals(Kind.ROOT_BUS, e.kind());
  }

  @Test
  void badTargets() {
    assertEquals(Kind.BAD_TARGET, assertThrows(ResetException.class,
        () -> x.h.resets().reset(request(fn("0000:09:00.0"), "ANY"))).kind());
    assertEquals(Kind.BAD_TARGET, assertThrows(ResetException.class,
        () -> x.h.resets().reset(request(fn("0001:01:00.0"), "ANY"))).kind());
    assertEquals(Kind.BAD_TARGET, assertThrows(ResetException.class,
        () -> x.h.resets().reset(request(new ResetTarget.Slot(99), "ANY"))).kind());
    assertEquals(Kind.BAD_TARGET, assertThrows(ResetException.class,
        () -> x.h.resets().reset(request(new ResetTarget.Bus(0x77), "ANY"))).kind());
  }

  @Test
  void tryFailsFastWhileWaitQueuesInOrderAndDisjointResetsRunInParallel() throws Exception {
    CompletableFuture<ResetResult> first = x.h.resets().reset(request(new ResetTarget.Bus(6), "bus"));
    assertEquals(1, x.h.resets().stats().running());
    // Overlapping (a bus reset of the whole switch, via its root port): TRY is refused ...
    ResetRequest tryOverlap = new ResetRequest(new ResetTarget.Bus(5), MethodSet.LINK,
        ResetRequest.Mode.TRY, null, false, Owner.HOST);
    assertEquals(Kind.BUSY, assertThrows(ResetException.class,
        () -> x.h.resets().reset(tryOverlap)).kind());
    // ... WAIT queues; a disjoint reset starts at once.
    CompletableFuture<ResetResult> queued = x.h.resets().reset(request(new ResetTarget.Bus(5), "bus"));
    CompletableFuture<ResetResult> disjoint = x.h.resets().reset(request(fn("0000:01:00.0"), "flr"));
    assertEquals(2, x.h.resets().stats().running());
    assertEquals(1, x.h.resets().stats().queued());
    x.clock.runAll();
    assertTrue(first.isDone() && queued.isDone() && disjoint.isDone());
    assertEquals(new Resets.Stats(3, 3, 0, 0), x.h.resets().stats());
  }

  /** A bus reset of the whole switch (root port 00:05.0, bus 5) that restores, held by the clock. */
  private CompletableFuture<ResetResult> switchReset(boolean saveRestore) {
    CompletableFuture<ResetResult> f = x.h.resets().reset(new ResetRequest(new ResetTarget.Bus(5),
        MethodSet.LINK, ResetRequest.Mode.WAIT, null, saveRestore, Owner.HOST));
    assertEquals(0xFFFF, x.h.read(8, 0, 0, 0, 2), "the drive is unreachable during the reset");
    return f;
  }

  @Test
  void aTargetHiddenByARunningBusResetIsBusyNotMissing() throws Exception {
    CompletableFuture<ResetResult> bus = switchReset(true);
    ResetException busy = assertThrows(ResetException.class, () -> x.h.resets().reset(
        new ResetRequest(fn("0000:08:00.0"), MethodSet.FUNC, ResetRequest.Mode.TRY, null, false,
            Owner.HOST)));
    assertEquals(Kind.BUSY, busy.kind());
    assertTrue(busy.getMessage().contains("below a running bus reset of 0000:00:05.0"),
        busy.getMessage());
    // WAIT: planned again once the bus reset has restored the bus numbers.
    CompletableFuture<ResetResult> flr = x.h.resets().reset(request(fn("0000:08:00.0"), "flr"));
    CompletableFuture<ResetResult> innerBus = x.h.resets().reset(new ResetRequest(
        new ResetTarget.Bus(6), MethodSet.LINK, ResetRequest.Mode.WAIT, null, true, Owner.HOST));
    assertFalse(flr.isDone() || innerBus.isDone());
    assertEquals(new Resets.Stats(1, 0, 0, 1), x.h.resets().stats(), "nothing else started");
    x.clock.runAll();
    assertTrue(bus.get().restored());
    assertEquals(ResetMethod.FLR, flr.get().plan().method());
    assertEquals(ResetMethod.BUS, innerBus.get().plan().method());
    assertEquals(new Resets.Stats(3, 3, 0, 0), x.h.resets().stats());
  }

  @Test
  void aHiddenTargetThatDoesNotComeBackIsMissingAfterTheReset() {
    CompletableFuture<ResetResult> bus = switchReset(false);
    CompletableFuture<ResetResult> flr = x.h.resets().reset(request(fn("0000:08:00.0"), "flr"));
    x.clock.runAll();
    assertTrue(bus.isDone());
    ExecutionException e = assertThrows(ExecutionException.class, flr::get);
    assertEquals(Kind.BAD_TARGET, ((ResetException) e.getCause()).kind());
  }

  @Test
  void waitingForAHiddenTargetEndsAtTheDeadlineOrWhenCancelled() {
    CompletableFuture<ResetResult> bus = switchReset(true);
    CompletableFuture<ResetResult> late = x.h.resets().reset(new ResetRequest(
        fn("0000:08:00.0"), MethodSet.FUNC, ResetRequest.Mode.WAIT, Duration.ofMillis(5), false,
        Owner.HOST));
    CompletableFuture<ResetResult> cancelled = x.h.resets().reset(request(fn("0000:07:00.0"),
        "flr"));
    cancelled.cancel(false);
    x.advance(5);
    ExecutionException e = assertThrows(ExecutionException.class, late::get);
    assertEquals(Kind.DEADLINE_EXCEEDED, ((ResetException) e.getCause()).kind());
    assertTrue(e.getCause().getMessage().contains("was below a running bus reset"),
        e.getCause().getMessage());
    x.clock.runAll();
    assertTrue(bus.isDone());
    assertEquals(new Resets.Stats(1, 1, 0, 0), x.h.resets().stats(),
        "neither the late nor the cancelled request started");
  }

  @Test
  void waitingRequestGivesUpAtItsDeadline() {
    x.h.resets().reset(request(new ResetTarget.Bus(6), "bus"));
    ResetRequest late = new ResetRequest(new ResetTarget.Bus(5), MethodSet.LINK,
        ResetRequest.Mode.WAIT, Duration.ofMillis(5), false, Owner.HOST);
    CompletableFuture<ResetResult> f = x.h.resets().reset(late);
    x.advance(5);
    ExecutionException e = assertThrows(ExecutionException.class, f::get);
    assertEquals(Kind.DEADLINE_EXCEEDED, ((ResetException) e.getCause()).kind());
    x.clock.runAll();
    assertEquals(0, x.h.resets().stats().queued());
  }

  @Test
  void functionThatNeverReturnsIsReportedNotReady() throws Exception {
    ResetResult r = run(request(fn("0000:04:00.0"), "flr"));
    assertFalse(r.complete());
    assertEquals(List.of("0000:04:00.0"), r.notReady());
    ResetResult recovered = run(request(fn("0000:04:00.0"), "bus"));
    assertTrue(recovered.complete());
  }

  @Test
  void saveAndRestoreBringsBackTheSwitchBelowABusReset() throws Exception {
    ResetRequest r = new ResetRequest(new ResetTarget.Bus(6), MethodSet.LINK,
        ResetRequest.Mode.WAIT, null, true, Owner.HOST);
    ResetResult result = run(r);
    assertTrue(result.restored());
    assertEquals(0x144d, x.h.read(8, 0, 0, 0, 2), "bus numbers restored, NVMe reachable again");
    ResetResult plain = run(request(new ResetTarget.Bus(6), "bus"));
    assertTrue(plain.complete());
    assertEquals(0xFFFF, x.h.read(8, 0, 0, 0, 2), "without restore the switch is unprogrammed");
  }

  @Test
  void slotResetMasksAndClearsTheEventsItCauses() throws Exception {
    PciFunction port = x.at("0000:00:03.0");
    int exp = port.model().layout().capability(CapabilityId.EXP);
    int sltctl = exp + PciExpress.SLOT_CONTROL;
    int enables = PciExpress.SLTCTL_PDCE | PciExpress.SLTCTL_DLLSCE | PciExpress.SLTCTL_HPIE;
    port.config().write(sltctl, 2, port.config().read(sltctl, 2) | enables);
    int before = port.config().read(sltctl, 2);
    ResetResult r = run(request(new ResetTarget.Slot(7), "slot"));
    assertEquals(ResetMethod.SLOT, r.plan().method());
    assertEquals(before, port.config().read(sltctl, 2), "Slot Control restored");
    int status = port.config().read(exp + PciExpress.SLOT_STATUS, 2);
    assertEquals(0, status & (PciExpress.SLTSTA_PDC | PciExpress.SLTSTA_DLLSC));
    assertEquals(0x1b6f, x.h.read(3, 0, 0, 0, 2));
  }

  private static final String SWITCH_WITH_SLOT = """
      {"name":"y","devices":[{"device":1,"model":"root-port-acs","children":[
        {"device":0,"model":"switch-upstream-port","children":[
          {"device":0,"model":"switch-downstream-port-hotplug","slot":9,
           "children":[{"device":0,"model":"nvme-ssd"}]}]}]}]}""";

  /**
   * A bus reset above a switch resets its downstream ports' Slot Control too: a port with a
   * power controller comes back with slot power off, so the card below stays dark until
   * software restores Slot Control, which save/restore does.
   */
  @Test
  void busResetAboveASlotPortPowersTheSlotOffUnlessRestored() throws Exception {
    ResetFixture y = new ResetFixture(SWITCH_WITH_SLOT);
    CompletableFuture<ResetResult> plain = y.h.resets().reset(new ResetRequest(
        new ResetTarget.Bus(1), MethodSet.LINK, ResetRequest.Mode.WAIT, Duration.ofSeconds(1),
        false, Owner.HOST));
    y.clock.runAll();
    assertEquals(List.of("0000:??:00.0 below 0000:??:00.0 below 0000:01:00.0"),
        plain.get().notReady(), "the NVMe stays dark: its slot lost power");
    assertTrue(y.h.hotPlug().state(9).present());
    assertFalse(y.h.hotPlug().state(9).powered());

    ResetFixture z = new ResetFixture(SWITCH_WITH_SLOT);
    CompletableFuture<ResetResult> restored = z.h.resets().reset(new ResetRequest(
        new ResetTarget.Bus(1), MethodSet.LINK, ResetRequest.Mode.WAIT, null, true, Owner.HOST));
    z.clock.runAll();
    assertEquals(List.of(), restored.get().notReady());
    assertTrue(z.h.hotPlug().state(9).powered());
    assertEquals(0x144d, z.h.read(3, 0, 0, 0, 2));
  }

  @Test
  void powerCycleOfASlotIsACold() throws Exception {
    ResetResult r = run(request(new ResetTarget.Slot(7), "power_cycle"));
    assertEquals(ResetMethod.POWER_CYCLE, r.plan().method());
    assertTrue(r.complete());
    assertEquals(0x1b6f, x.h.read(3, 0, 0, 0, 2));
  }

  /** On the real clock too, scale 0 means done on return, never a spurious "not ready". */
  @Test
  void timeScaleZeroOnTheSystemClockCompletesEveryResetOnReturn() throws Exception {
    io.pciefarm.topology.Hierarchy h = io.pciefarm.topology.HierarchyBuilder.build(
        io.pciefarm.farm.TopologyFiles.parse(BOX, "box"),
        new io.pciefarm.time.TimeBase(io.pciefarm.time.TimeBase.system().clock(), 0.0));
    for (ResetTarget t : List.of(new ResetTarget.Bus(2), new ResetTarget.Bus(6),
        new ResetTarget.Slot(7), fn("0000:01:00.0"))) {
      CompletableFuture<ResetResult> f = h.resets().reset(request(t, "ANY"));
      assertTrue(f.isDone(), t + " done on return");
      assertEquals(List.of(), f.get().notReady(), t.toString());
    }
  }

  @Test
  void requestDrivenResetsAreInstantAtTimeScaleZero() throws Exception {
    x.h.timeScale(0);
    CompletableFuture<ResetResult> f = x.h.resets().reset(request(new ResetTarget.Bus(2), "bus"));
    assertTrue(f.isDone(), "no scheduled step left at time scale 0");
    assertTrue(f.get().complete());
    assertEquals(Type1.BRIDGE_CTL_BUS_RESET & 0, x.at("0000:00:02.0").config()
        .read(Type1.BRIDGE_CONTROL, 2) & Type1.BRIDGE_CTL_BUS_RESET);
  }
}
