package io.pciefarm.ownership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.farm.Farm;
import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.ownership.LeaseException.Kind;
import io.pciefarm.reset.MethodSet;
import io.pciefarm.reset.ResetException;
import io.pciefarm.reset.ResetRequest;
import io.pciefarm.reset.ResetTarget;
import io.pciefarm.spec.Header;
import io.pciefarm.time.ManualClock;
import io.pciefarm.time.TimeBase;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;

class LeasesTest {
  private final ManualClock clock = new ManualClock();
  private final Farm farm = new Farm(new TimeBase(clock, 1.0));
  private final Hierarchy h = farm.create(TopologyFiles.parse("""
      {"name":"lab","devices":[
        {"device":1,"model":"root-port-acs","children":[{"device":0,"model":"gpu"}]},
        {"device":2,"model":"root-port","children":[{"device":0,"model":"nvme-ssd","host":true}]},
        {"device":3,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd"}]}]}""",
      "lab"));
  private final Leases leases = farm.leases();

  private static PciAddress at(String a) {
    return PciAddress.parse(a);
  }

  private Leases.Request request(String tenant, String function, boolean wait, Duration deadline) {
    return new Leases.Request(h, List.of(), List.of(at(function)), Duration.ofSeconds(10),
        tenant, tenant + "'s test", wait, deadline);
  }

  private Lease take(String tenant, String function) throws Exception {
    CompletableFuture<Lease> f = leases.acquire(request(tenant, function, false, null));
    assertTrue(f.isDone());
    return f.get();
  }

  @Test
  void acquiringTakesTheWholeGroupButNotItsBridges() throws Exception {
    Lease l = take("alice", "0000:01:00.1");
    assertEquals(List.of("0000:01:00.0", "0000:01:00.1"),
        l.functions().stream().map(PciFunction::describe).toList());
    for (PciFunction f : l.functions()) {
      assertEquals(l.owner(), f.owner());
    }
    assertEquals(Owner.HOST, h.lookup(0, 1 << 3).owner(), "the root port stays with the host");
    assertEquals(32, l.id().length(), "128 random bits");
  }

  @Test
  void aTakenGroupOrAHostGroupIsRefusedNamingTheBlockers() throws Exception {
    Lease alice = take("alice", "0000:01:00.0");
    LeaseException taken = assertThrows(LeaseException.class,
        () -> leases.acquire(request("bob", "0000:01:00.0", false, null)));
    assertEquals(Kind.UNAVAILABLE_GROUP, taken.kind());
    assertTrue(taken.blocking().get(0).contains("lease " + alice.id()), taken.blocking().toString());
    LeaseException host = assertThrows(LeaseException.class,
        () -> leases.acquire(request("bob", "0000:02:00.0", true, null)));
    assertEquals(List.of("0000:02:00.0 (stays with the host)"), host.blocking());
  }

  @Test
  void onlyTheHolderResets() throws Exception {
    Lease alice = take("alice", "0000:03:00.0");
    ResetRequest asHost = new ResetRequest(new ResetTarget.Function(at("0000:03:00.0")),
        MethodSet.FUNC, ResetRequest.Mode.TRY, null, false, Owner.HOST);
    assertEquals(ResetException.Kind.NOT_OWNER,
        assertThrows(ResetException.class, () -> h.resets().reset(asHost)).kind());
    ResetRequest asAlice = new ResetRequest(new ResetTarget.Function(at("0000:03:00.0")),
        MethodSet.FUNC, ResetRequest.Mode.TRY, null, false, alice.owner());
    CompletableFuture<?> ok = h.resets().reset(asAlice);
    clock.runAll();
    assertTrue(ok.isDone() && !ok.isCompletedExceptionally());
  }

  @Test
  void releaseResetsTheDevicesBeforeTheyReturnToThePool() throws Exception {
    Lease alice = take("alice", "0000:03:00.0");
    PciFunction nvme = h.lookup(3, 0);
    nvme.config().write(Header.COMMAND, 2, Header.COMMAND_MASTER | Header.COMMAND_MEMORY);
    assertEquals(Kind.NOT_HOLDER, assertThrows(LeaseException.class,
        () -> leases.release(alice.id(), "bob")).kind());
    CompletableFuture<Leases.Release> released = leases.release(alice.id(), "alice");
    assertFalse(released.isDone(), "resetting first");
    assertEquals(Owner.released(alice.id()), nvme.owner(), "nobody's while it is reset");
    clock.runAll();
    assertTrue(released.get().released());
    assertEquals(List.of(), released.get().notes(), "the drive's reset resets it");
    assertEquals(Owner.HOST, nvme.owner());
    assertEquals(0, nvme.config().read(Header.COMMAND, 2), "cleaned between owners");
    assertFalse(leases.release(alice.id(), "alice").get().released(),
        "a second release finds nothing");
  }

  @Test
  void aReleasedLeasesFunctionsAreNobodysUntilTheirResetIsDone() throws Exception {
    Lease alice = take("alice", "0000:03:00.0");
    PciFunction nvme = h.lookup(3, 0);
    CompletableFuture<Leases.Release> released = leases.release(alice.id(), "alice");
    Owner gone = nvme.owner();
    assertTrue(gone.isReleased(), gone.toString());
    assertEquals(alice.id(), gone.id());
    assertThrows(IllegalArgumentException.class, () -> new Authority.Tenant("", true),
        "an empty tenant name would match the released owner's");
    assertFalse(new Authority.Tenant("alice", true).covers(gone),
        "not even its own tenant, administrator or not, may act on it now");
    assertFalse(alice.owner().covers(gone), "nor with the old lease's id");
    ResetRequest asAlice = new ResetRequest(new ResetTarget.Function(at("0000:03:00.0")),
        MethodSet.FUNC, ResetRequest.Mode.WAIT, null, false, new Authority.Tenant("alice", true));
    assertEquals(ResetException.Kind.NOT_OWNER,
        assertThrows(ResetException.class, () -> h.resets().reset(asAlice)).kind());
    // A new acquisition queues behind the reset: the group is not free yet.
    assertEquals(Kind.UNAVAILABLE_GROUP, assertThrows(LeaseException.class,
        () -> leases.acquire(request("bob", "0000:03:00.0", false, null))).kind());
    clock.runAll();
    assertTrue(released.get().released());
    assertEquals(Owner.HOST, nvme.owner());
    take("bob", "0000:03:00.0");
  }

  @Test
  void aReleaseSaysWhatItsResetCouldNotDo() throws Exception {
    // The GPU's only function-level reset is a PM reset that changes nothing, as on GA106
    // boards; both of its functions have it, so the device reset picks it before a bus reset,
    // as Linux does.
    Lease alice = take("alice", "0000:01:00.0");
    PciFunction gpu = h.lookup(1, 0);
    gpu.config().write(Header.COMMAND, 2, Header.COMMAND_MASTER | Header.COMMAND_MEMORY);
    CompletableFuture<Leases.Release> released = leases.release(alice.id(), "alice");
    clock.runAll();
    List<String> notes = released.get().notes();
    assertEquals(2, notes.size(), notes.toString());
    assertTrue(notes.get(0).startsWith("0000:01:00.0: reset by pm (D3hot to D0)"),
        notes.get(0));
    assertTrue(notes.get(1).startsWith("0000:01:00.1: "), notes.get(1));
    assertEquals(Owner.HOST, gpu.owner(), "back in the pool anyway");
    assertEquals(Header.COMMAND_MASTER | Header.COMMAND_MEMORY,
        gpu.config().read(Header.COMMAND, 2), "as its holder left it: what the notes say");
  }

  @Test
  void expiryWithoutRenewalEndsTheLease() throws Exception {
    Lease alice = take("alice", "0000:03:00.0");
    clock.advance(Duration.ofSeconds(9));
    Lease renewed = leases.renew(alice.id(), "alice", null);
    assertTrue(renewed.expiresAtNanos() > alice.expiresAtNanos());
    clock.advance(Duration.ofSeconds(9));
    assertEquals(alice.owner(), h.lookup(3, 0).owner(), "renewal kept it alive");
    clock.advance(Duration.ofSeconds(2));
    clock.runAll();
    assertEquals(Owner.HOST, h.lookup(3, 0).owner());
    assertEquals(Kind.NOT_FOUND, assertThrows(LeaseException.class,
        () -> leases.renew(alice.id(), "alice", null)).kind());
  }

  @Test
  void waitingAcquisitionGetsTheGroupsInOrderOrTimesOut() throws Exception {
    Lease alice = take("alice", "0000:03:00.0");
    CompletableFuture<Lease> bob = leases.acquire(request("bob", "0000:03:00.0", true, null));
    CompletableFuture<Lease> carol = leases.acquire(request("carol", "0000:03:00.0", true,
        Duration.ofMillis(50)));
    LeaseException overtaking = assertThrows(LeaseException.class,
        () -> leases.acquire(request("dave", "0000:03:00.0", false, null)));
    assertEquals(Kind.UNAVAILABLE_GROUP, overtaking.kind());
    clock.advance(Duration.ofMillis(50));
    ExecutionException late = assertThrows(ExecutionException.class, carol::get);
    assertEquals(Kind.DEADLINE_EXCEEDED, ((LeaseException) late.getCause()).kind());
    leases.release(alice.id(), "alice");
    clock.advance(Duration.ofSeconds(1)); // the release's reset, not bob's own expiry
    assertEquals("bob", bob.get().tenant());
    assertEquals(bob.get().owner(), h.lookup(3, 0).owner());
    assertEquals(1, leases.counts()[0]);
    assertEquals(0, leases.counts()[1]);
  }

  @Test
  void aCancelledWaiterLeavesTheQueueAndHoldsNothingUp() throws Exception {
    Lease alice = take("alice", "0000:03:00.0");
    CompletableFuture<Lease> bob = leases.acquire(request("bob", "0000:03:00.0", true, null));
    CompletableFuture<Lease> carol = leases.acquire(request("carol", "0000:03:00.0", true, null));
    assertEquals(2, leases.counts()[1]);
    bob.cancel(false); // bob's caller went away
    assertEquals(1, leases.counts()[1], "bob left the queue");
    leases.release(alice.id(), "alice");
    clock.advance(Duration.ofSeconds(1)); // the release's reset, not carol's own expiry
    assertEquals("carol", carol.get().tenant(), "carol was not held up behind bob");
    assertEquals(1, leases.counts()[0]);
    assertEquals(0, leases.counts()[1]);
  }

  @Test
  void badRequests() {
    assertEquals(Kind.NOT_FOUND, assertThrows(LeaseException.class, () -> leases.acquire(
        new Leases.Request(h, List.of(99), List.of(), null, "a", "a", false, null))).kind());
    assertEquals(Kind.NOT_FOUND, assertThrows(LeaseException.class,
        () -> leases.acquire(request("a", "0000:09:00.0", false, null))).kind());
    assertEquals(Kind.INVALID, assertThrows(LeaseException.class, () -> leases.acquire(
        new Leases.Request(h, List.of(), List.of(), null, "a", "a", false, null))).kind());
    assertEquals(Kind.INVALID, assertThrows(LeaseException.class, () -> leases.acquire(
        new Leases.Request(h, List.of(), List.of(at("0000:03:00.0")), Duration.ofDays(2), "a",
            "a", false, null))).kind());
    int rootPortGroup = h.groups().groupOf(h.lookup(0, 1 << 3));
    assertEquals(Kind.INVALID, assertThrows(LeaseException.class, () -> leases.acquire(
        new Leases.Request(h, List.of(rootPortGroup), List.of(), null, "a", "a", false, null)))
        .kind(), "a group of only bridges");
  }
}
