package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.pciefarm.ownership.Owner;
import io.pciefarm.proto.v1.AcquireRequest;
import io.pciefarm.proto.v1.Lease;
import io.pciefarm.spec.Header;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * LeaseService on a single-tenant farm: acquire, renew, release, list; expiry resets; background
 * renewal; waiting; request ids. Each test leases its own bay of the storage shelf.
 */
class LeaseServiceTest extends LiveServer {
  private static final Duration BOUND = Duration.ofSeconds(30);

  private static String bay(Via via) {
    return via == Via.TCP ? "0001:04:00.0" : "0001:05:00.0";
  }

  private PciFunction engine(String address) {
    PciAddress a = PciAddress.parse(address);
    return server.farm().bySegment(a.segment()).lookup(a);
  }

  private static AcquireRequest.Builder request(String function) {
    return AcquireRequest.newBuilder().setHierarchy("storage-switch").addFunctions(function);
  }

  private static com.google.protobuf.Duration millis(long ms) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(ms / 1000)
        .setNanos((int) (ms % 1000) * 1_000_000).build();
  }

  /** Waits, up to a bound, for {@code condition}; no assertion on how long it took. */
  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long until = System.nanoTime() + BOUND.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - until > 0) {
        throw new AssertionError("not within " + BOUND + ": " + what);
      }
      Thread.sleep(20);
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void acquireListRenewRelease(Via via) {
    PcieFarmClient c = client(via);
    String bay = bay(via);
    int line = c.function(bay).readByte(Header.INTERRUPT_LINE);
    Lease l = c.acquireLease(request(bay).setHolder("ci job 7").setTtl(millis(60_000)).build());
    try {
      assertEquals(32, l.getId().length());
      assertEquals("local", l.getTenant(), "single-tenant: every caller is 'local'");
      assertEquals("ci job 7", l.getHolder());
      assertEquals(List.of(bay), l.getFunctionsList());
      assertEquals(60, l.getTtl().getSeconds());
      assertEquals(Owner.lease(l.getId(), "local"), engine(bay).owner());
      assertTrue(c.leases("storage-switch").stream().anyMatch(x -> x.getId().equals(l.getId())));
      assertTrue(c.leases(null).stream().anyMatch(x -> x.getId().equals(l.getId())));
      assertTrue(c.leases("gpu-passthrough").stream().noneMatch(x -> x.getId().equals(l.getId())));
      expect(Status.Code.NOT_FOUND, () -> c.leases("no-such-hierarchy"));

      Lease renewed = c.renewLease(l.getId(), Duration.ofMinutes(5));
      assertEquals(300, renewed.getTtl().getSeconds());
      assertTrue(renewed.getExpires().getSeconds() > l.getExpires().getSeconds());

      // The holder leaves the function dirty: two registers a reset puts back.
      FunctionHandle f = c.function(bay);
      assertTrue(f.writeWord(Header.COMMAND, Header.COMMAND_MEMORY | Header.COMMAND_MASTER));
      assertTrue(f.writeByte(Header.INTERRUPT_LINE, line ^ 0x5a));
      assertEquals(Header.COMMAND_MEMORY | Header.COMMAND_MASTER, f.readWord(Header.COMMAND));
      assertEquals(line ^ 0x5a, f.readByte(Header.INTERRUPT_LINE));
    } finally {
      io.pciefarm.proto.v1.ReleaseResponse r = c.release(l.getId());
      assertTrue(r.getReleased());
      assertEquals(List.of(), r.getNotesList(), "the drive's reset cleans it");
    }
    assertEquals(Owner.HOST, engine(bay).owner(), "back in the pool when Release answers");
    assertEquals(0, c.function(bay).readWord(Header.COMMAND), "reset before it returned");
    assertEquals(line, c.function(bay).readByte(Header.INTERRUPT_LINE),
        "reset before it returned");
    assertFalse(c.releaseLease(l.getId()), "a second release finds nothing: harmless");
    expect(Status.Code.NOT_FOUND, () -> c.renewLease(l.getId(), null));
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void badRequests(Via via) {
    PcieFarmClient c = client(via);
    expect(Status.Code.NOT_FOUND, () -> c.acquireLease(AcquireRequest.newBuilder()
        .setHierarchy("nope").addGroups(0).build()));
    expect(Status.Code.NOT_FOUND, () -> c.acquireLease(AcquireRequest.newBuilder()
        .setHierarchy("storage-switch").addGroups(999).build()));
    PcieFarmException bad = expect(Status.Code.INVALID_ARGUMENT,
        () -> c.acquireLease(request("0001:04:00.9").build()));
    assertEquals(List.of("functions[0]"), bad.badFields());
    expect(Status.Code.INVALID_ARGUMENT, () -> c.acquireLease(AcquireRequest.newBuilder()
        .setHierarchy("storage-switch").build()));
    expect(Status.Code.INVALID_ARGUMENT, () -> c.acquireLease(request(bay(via))
        .setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(25 * 3600)).build()));
    expect(Status.Code.INVALID_ARGUMENT, () -> c.renewLease("", null));
    PcieFarmException host = expect(Status.Code.FAILED_PRECONDITION, () -> c.acquireLease(
        AcquireRequest.newBuilder().setHierarchy("gpu-passthrough").addFunctions("0000:02:00.0")
            .setWait(true).build()));
    assertEquals(List.of("0000:02:00.0"), host.blockingFunctions(),
        "a host function never becomes free: refused at once even when waiting");
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void anExpiredLeaseIsResetAndReturnedToThePool(Via via) throws Exception {
    PcieFarmClient c = client(via);
    String bay = bay(via);
    Lease l = c.acquireLease(request(bay).setTtl(millis(1000)).build()); // nothing renews it
    PciFunction f = engine(bay);
    c.function(bay).writeWord(Header.COMMAND, Header.COMMAND_MEMORY | Header.COMMAND_MASTER);
    assertEquals(Header.COMMAND_MEMORY | Header.COMMAND_MASTER, f.config().read(Header.COMMAND, 2));
    await("the expired lease's function back with the host", () -> f.owner().isHost());
    await("the function ready again after its reset", f::ready);
    assertEquals(0, c.function(bay).readWord(Header.COMMAND), "reset before it returned");
    assertTrue(c.leases(null).stream().noneMatch(x -> x.getId().equals(l.getId())));
    expect(Status.Code.NOT_FOUND, () -> c.renewLease(l.getId(), null));
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void backgroundRenewalKeepsALeasePastItsTtl(Via via) throws Exception {
    PcieFarmClient c = client(via);
    String bay = bay(via);
    Duration ttl = Duration.ofMillis(1500);
    try (LeaseHandle lease = c.acquire(request(bay).setTtl(millis(ttl.toMillis())).build())) {
      Instant firstExpiry = lease.expires();
      // Past the first expiry by a whole TTL: without renewal it would have ended long ago.
      Instant until = firstExpiry.plus(ttl);
      while (Instant.now().isBefore(until)) {
        Thread.sleep(50);
      }
      assertTrue(lease.active(), () -> "renewal failed: " + lease.failure());
      assertTrue(lease.expires().isAfter(firstExpiry), "renewed");
      assertEquals(Owner.lease(lease.id(), "local"), engine(bay).owner());
      assertTrue(c.leases(null).stream().anyMatch(x -> x.getId().equals(lease.id())));
    }
    assertEquals(Owner.HOST, engine(bay).owner(), "closing the handle released it");
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void aLostLeaseStopsRenewalAndSaysWhy(Via via) throws Exception {
    PcieFarmClient c = client(via);
    LeaseHandle lease = c.acquire(request(bay(via)).setTtl(millis(900)).build());
    assertTrue(c.releaseLease(lease.id()), "released behind the handle's back");
    await("the handle noticing at its next renewal", () -> !lease.active());
    assertEquals(Status.Code.NOT_FOUND, lease.failure().orElseThrow().code());
    assertFalse(lease.release());
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void waitingAcquisitionGetsTheGroupWhenItIsReleased(Via via) throws Exception {
    PcieFarmClient c = client(via);
    String bay = bay(via);
    LeaseHandle first = c.acquire(request(bay).build());
    CompletableFuture<LeaseHandle> second = CompletableFuture.supplyAsync(() ->
        c.acquire(request(bay).setWait(true).build(), BOUND));
    await("the second request queued", () -> server.farm().leases().counts()[1] == 1);
    assertFalse(second.isDone());
    first.release();
    try (LeaseHandle l = second.get(BOUND.toSeconds(), TimeUnit.SECONDS)) {
      assertNotEquals(first.id(), l.id());
      assertEquals(Owner.lease(l.id(), "local"), engine(bay).owner());
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void aWaitThatRunsOutOfTimeLeavesTheQueue(Via via) throws Exception {
    PcieFarmClient c = client(via);
    String bay = bay(via);
    try (LeaseHandle held = c.acquire(request(bay).build())) {
      expect(Status.Code.DEADLINE_EXCEEDED, () -> c.acquireLease(request(bay).setWait(true)
          .build(), Duration.ofMillis(300)));
      await("the expired waiter gone from the queue",
          () -> server.farm().leases().counts()[1] == 0);
      assertTrue(held.active());
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void aRepeatedAcquireReturnsTheSameLease(Via via) {
    PcieFarmClient c = client(via);
    String bay = bay(via);
    AcquireRequest r = request(bay).setRequestId(PcieFarmClient.newRequestId()).build();
    Lease first = c.acquireLease(r);
    try {
      Lease again = c.acquireLease(r);
      assertEquals(first.getId(), again.getId(), "answered from memory, not acquired twice");
      assertEquals(1, c.leases("storage-switch").stream()
          .filter(l -> l.getFunctionsList().contains(bay)).count());
      PcieFarmException reused = expect(Status.Code.INVALID_ARGUMENT, () -> c.acquireLease(
          r.toBuilder().setHolder("someone else").build()));
      assertEquals(List.of("request_id"), reused.badFields());
      // A new id is a new request: the group is taken (by the first).
      PcieFarmException taken = expect(Status.Code.FAILED_PRECONDITION,
          () -> c.acquireLease(request(bay).build()));
      assertEquals(List.of(bay), taken.blockingFunctions());
    } finally {
      c.releaseLease(first.getId());
    }
  }
}
