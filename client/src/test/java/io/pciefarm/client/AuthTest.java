package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.PreconditionFailure;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import io.pciefarm.grpc.Caller;
import io.pciefarm.grpc.PcieFarmServer;
import io.pciefarm.grpc.Statuses;
import io.pciefarm.grpc.TokenTable;
import io.pciefarm.ownership.Authority;
import io.pciefarm.ownership.Owner;
import io.pciefarm.proto.v1.AcquireRequest;
import io.pciefarm.proto.v1.DeviceSpec;
import io.pciefarm.proto.v1.FarmServiceGrpc;
import io.pciefarm.proto.v1.HierarchySpec;
import io.pciefarm.proto.v1.ListHierarchiesRequest;
import io.pciefarm.proto.v1.ServerInfo;
import io.pciefarm.proto.v1.ResetMethodAlias;
import io.pciefarm.proto.v1.ResetMode;
import io.pciefarm.proto.v1.ResetServiceGrpc;
import io.pciefarm.proto.v1.ResetTarget;
import io.pciefarm.proto.v1.ResetTargetKind;
import io.pciefarm.spec.Header;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A farm with a token table: who may call, who may write, lease and reset what. Tenants alice
 * and bob, and the administrator ops; the LiveServer clients carry no token.
 */
class AuthTest extends LiveServer {
  static final String ALICE_TOKEN = "alice-0123456789abcdef";
  static final String BOB_TOKEN = "bob-0123456789abcdef01";
  static final String OPS_TOKEN = "ops-0123456789abcdef02";

  /** bay 1 of the storage shelf: its own isolation group. */
  private static final String NVME = "0001:03:00.0";
  /** bay 2, left in the host's pool. */
  private static final String NVME2 = "0001:04:00.0";

  private PcieFarmClient alice;
  private PcieFarmClient bob;
  private PcieFarmClient ops;

  @Override
  protected PcieFarmServer.Builder configure(PcieFarmServer.Builder b) {
    return b.tokens(TokenTable.of(Map.of(
        ALICE_TOKEN, new Caller("alice", false),
        BOB_TOKEN, new Caller("bob", false),
        OPS_TOKEN, new Caller("ops", true))));
  }

  @BeforeAll
  void clients() {
    alice = PcieFarmClient.builder(server.tcpTarget()).token(ALICE_TOKEN).build();
    bob = PcieFarmClient.builder("unix:" + server.unixSocket()).token(BOB_TOKEN).build();
    ops = PcieFarmClient.builder(server.tcpTarget()).token(OPS_TOKEN).build();
  }

  @AfterAll
  void closeClients() {
    for (PcieFarmClient c : List.of(alice, bob, ops)) {
      c.close();
    }
  }

  private PciFunction engine(String address) {
    PciAddress a = PciAddress.parse(address);
    return server.farm().bySegment(a.segment()).lookup(a);
  }

  private LeaseHandle leaseNvme(PcieFarmClient who) {
    return who.acquire(AcquireRequest.newBuilder().setHierarchy("storage-switch")
        .addFunctions(NVME).setHolder("auth test").build());
  }

  // ---------------------------------------------------------------------------------------------
  // Identity

  @Test
  void withoutATokenEveryCallButHealthAndReflectionIsUnauthenticated() throws Exception {
    for (PcieFarmClient none : List.of(tcp, unix)) {
      PcieFarmException e = expect(Status.Code.UNAUTHENTICATED, none::hierarchies);
      assertTrue(e.getMessage().contains("authorization: Bearer TOKEN"), e.getMessage());
      expect(Status.Code.UNAUTHENTICATED, () -> none.function(NVME).readWord(0));
      expect(Status.Code.UNAUTHENTICATED, () -> none.leases(null));
      assertEquals(ServingStatus.SERVING, none.health(""));
      assertEquals(ServingStatus.SERVING, none.health("pciefarm.v1.LeaseService"));
      assertTrue(ServerLifecycleTest.reflectedServices(none).contains(
          "pciefarm.v1.ConfigService"), "reflection needs no token");
    }
  }

  @Test
  void anUnknownOrMalformedTokenIsUnauthenticated() {
    try (PcieFarmClient wrong = PcieFarmClient.builder(server.tcpTarget())
        .token("mallory-0123456789abcdef").build()) {
      PcieFarmException e = expect(Status.Code.UNAUTHENTICATED, wrong::hierarchies);
      assertTrue(e.getMessage().contains("unknown token"), e.getMessage());
      assertFalse(e.getMessage().contains("mallory"), "the token is not echoed");
    }
    for (String header : List.of("Basic " + ALICE_TOKEN, ALICE_TOKEN, "Bearer ")) {
      Metadata md = new Metadata();
      md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), header);
      StatusRuntimeException e = expectRaw(Status.Code.UNAUTHENTICATED, () ->
          FarmServiceGrpc.newBlockingStub(tcp.channel())
              .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md))
              .listHierarchies(ListHierarchiesRequest.getDefaultInstance()));
      assertTrue(e.getStatus().getDescription().contains("malformed"), header);
    }
  }

  @Test
  void serverInfoNamesTheCaller() {
    ServerInfo a = alice.serverInfo();
    assertTrue(a.getAuthentication());
    assertEquals("alice", a.getCallerTenant());
    assertFalse(a.getCallerAdmin());
    assertTrue(ops.serverInfo().getCallerAdmin());
  }

  // ---------------------------------------------------------------------------------------------
  // Ownership

  @Test
  void onlyTheHolderWritesAnyoneReads() {
    try (LeaseHandle lease = leaseNvme(alice)) {
      assertEquals("alice", lease.info().getTenant());
      FunctionHandle mine = alice.function(NVME);
      assertTrue(mine.writeWord(Header.COMMAND, Header.COMMAND_MEMORY));
      assertEquals(Header.COMMAND_MEMORY, bob.function(NVME).readWord(Header.COMMAND),
          "anyone may read");

      PcieFarmException denied = expect(Status.Code.PERMISSION_DENIED,
          () -> bob.function(NVME).writeWord(Header.COMMAND, 0));
      assertTrue(denied.getMessage().contains(NVME) && denied.getMessage().contains(lease.id()),
          denied.getMessage());
      expect(Status.Code.PERMISSION_DENIED,
          () -> ops.function(NVME).writeWord(Header.COMMAND, 0));
      assertEquals(Header.COMMAND_MEMORY, engine(NVME).config().read(Header.COMMAND, 2),
          "nothing was written by the others");

      // Batches: the same rule, per access; reads pass, the owner's write passes.
      try (ConfigStream s = bob.openStream()) {
        Batch b = new Batch();
        b.read(mine.address(), Header.COMMAND, 2);
        b.write(mine.address(), Header.COMMAND, 2, 0);
        BatchResult r = s.execute(b);
        assertEquals(Header.COMMAND_MEMORY, r.value(0));
        assertEquals(Status.Code.PERMISSION_DENIED.value(), r.error(1).getCode());
        assertTrue(r.error(1).getMessage().contains(lease.id()), r.error(1).getMessage());
      }
      try (ConfigStream s = alice.openStream()) {
        Batch b = new Batch();
        b.write(mine.address(), Header.COMMAND, 2, Header.COMMAND_MASTER);
        assertTrue(s.execute(b).ok());
      }
      assertEquals(Header.COMMAND_MASTER, engine(NVME).config().read(Header.COMMAND, 2));
    }
    assertEquals(Owner.HOST, engine(NVME).owner(), "released on close");
  }

  @Test
  void theHostsPoolIsWritableByAdministratorsOnly() {
    PcieFarmException e = expect(Status.Code.PERMISSION_DENIED,
        () -> alice.function(NVME2).writeWord(Header.COMMAND, Header.COMMAND_MEMORY));
    assertTrue(e.getMessage().contains("host's pool") && e.getMessage().contains(NVME2),
        e.getMessage());
    assertTrue(ops.function(NVME2).writeWord(Header.COMMAND, 0));
    // Resets follow the same rule.
    PcieFarmException reset = expect(Status.Code.FAILED_PRECONDITION,
        () -> alice.function(NVME2).reset("flr"));
    assertEquals(List.of(NVME2), reset.blockingFunctions());
    assertEquals(1, ops.function(NVME2).reset("flr").getAffectedCount());
    assertFalse(alice.function("0001:06:00.0").writeWord(0, 0),
        "where no function answers, a write is dropped as before, not refused");
  }

  @Test
  void aSecondTenantCannotLeaseRenewOrReleaseAHeldGroup() {
    try (LeaseHandle lease = leaseNvme(alice)) {
      PcieFarmException taken = expect(Status.Code.FAILED_PRECONDITION, () -> leaseNvme(bob));
      assertEquals(List.of(NVME), taken.blockingFunctions());
      assertTrue(taken.getMessage().contains("alice"), taken.getMessage());
      expect(Status.Code.PERMISSION_DENIED, () -> bob.renewLease(lease.id(), null));
      expect(Status.Code.PERMISSION_DENIED, () -> bob.releaseLease(lease.id()));
      expect(Status.Code.PERMISSION_DENIED, () -> ops.releaseLease(lease.id()));
      assertTrue(bob.leases("storage-switch").stream().anyMatch(l -> l.getId().equals(lease.id())
          && l.getTenant().equals("alice")), "anyone may list leases");
      assertTrue(lease.active());
    }
  }

  private static io.pciefarm.proto.v1.ResetRequest resetGpu(String leaseId) {
    return io.pciefarm.proto.v1.ResetRequest.newBuilder()
        .setTarget(ResetTarget.newBuilder().setKind(ResetTargetKind.RESET_TARGET_KIND_DEVICE)
            .setAddress("0000:01:00.0"))
        .setAlias(ResetMethodAlias.RESET_METHOD_ALIAS_ANY).setMode(ResetMode.RESET_MODE_TRY)
        .setLeaseId(leaseId).setRequestId(PcieFarmClient.newRequestId()).build();
  }

  @Test
  void aResetReachingAnotherTenantsFunctionsIsRefusedNamingEachOne() throws Exception {
    // The GPU and its HD audio function share a device and a group: alice leases them.
    try (LeaseHandle lease = alice.acquire(AcquireRequest.newBuilder()
        .setHierarchy("gpu-passthrough").addFunctions("0000:01:00.0").build())) {
      for (PcieFarmClient other : List.of(bob, ops)) {
        StatusRuntimeException refused = expectRaw(Status.Code.FAILED_PRECONDITION,
            () -> ResetServiceGrpc.newBlockingStub(other.channel()).reset(resetGpu("")));
        PreconditionFailure p = StatusProto.fromThrowable(refused).getDetails(0)
            .unpack(PreconditionFailure.class);
        assertEquals(List.of("0000:01:00.0", "0000:01:00.1"), p.getViolationsList().stream()
            .map(PreconditionFailure.Violation::getSubject).toList());
        assertTrue(p.getViolationsList().stream().allMatch(v -> v.getType().equals("OWNERSHIP")
            && v.getDescription().contains(lease.id())), p.toString());
      }
      // Presenting alice's lease does not help bob: it is not his.
      expectRaw(Status.Code.PERMISSION_DENIED, () -> ResetServiceGrpc.newBlockingStub(
          bob.channel()).reset(resetGpu(lease.id())));
      // Alice may, with her lease or without (her tenant's leases are hers, as for writes),
      // and through a typed handle.
      ResetServiceGrpc.newBlockingStub(alice.channel()).reset(resetGpu(lease.id()).toBuilder()
          .setMode(ResetMode.RESET_MODE_WAIT).setWaitReady(true).build());
      ResetServiceGrpc.newBlockingStub(alice.channel()).reset(resetGpu("").toBuilder()
          .setMode(ResetMode.RESET_MODE_WAIT).setWaitReady(true).build());
      assertEquals(1, alice.function("0000:01:00.1").reset("pm").getAffectedCount());
      // What Caller.authority resolves: her lease's owner with the id; her tenant without.
      Authority withId = new Caller("alice", false).authority(lease.id(),
          server.farm().leases());
      assertEquals(Owner.lease(lease.id(), "alice"), withId);
      Authority without = new Caller("alice", false).authority("", server.farm().leases());
      assertTrue(without.covers(Owner.lease(lease.id(), "alice")));
      assertFalse(without.covers(Owner.HOST), "a tenant that is no administrator");
      assertFalse(new Caller("bob", false).authority("", server.farm().leases())
          .covers(Owner.lease(lease.id(), "alice")));
      assertFalse(new Caller("ops", true).authority("", server.farm().leases())
          .covers(Owner.lease(lease.id(), "alice")), "not even an administrator");
      assertEquals(Status.Code.PERMISSION_DENIED, Statuses.toStatus(assertThrows(
          RuntimeException.class, () -> new Caller("bob", false).authority(lease.id(),
              server.farm().leases()))).getStatus().getCode());
    }
  }

  @Test
  void hierarchiesAreDeletedByTheirCreatorOrAnAdministrator() {
    HierarchySpec spec = HierarchySpec.newBuilder().setName("alices-box").setSegment(0x0a11)
        .addDevices(DeviceSpec.newBuilder().setDevice(1).setModel("root-port-acs")
            .addChildren(DeviceSpec.newBuilder().setDevice(0).setModel("nvme-ssd")))
        .build();
    alice.createHierarchy(spec);
    expect(Status.Code.PERMISSION_DENIED, () -> bob.deleteHierarchy("alices-box"));
    expect(Status.Code.PERMISSION_DENIED, () -> bob.deleteHierarchy("storage-switch"));
    try (LeaseHandle lease = alice.hierarchy("alices-box").leaseFunctions("01:00.0")) {
      PcieFarmException held = expect(Status.Code.FAILED_PRECONDITION,
          () -> alice.deleteHierarchy("alices-box"));
      assertEquals(List.of("0a11:01:00.0"), held.blockingFunctions());
      assertEquals("alices-box", alice.deleteHierarchy("alices-box", true).getName());
      assertFalse(lease.release(), "the lease ended with its hierarchy");
    }
    alice.createHierarchy(spec);
    assertEquals("alices-box", ops.deleteHierarchy("alices-box").getName());
  }
}
