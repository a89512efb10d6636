package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.rpc.PreconditionFailure;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.ownership.Lease;
import io.pciefarm.ownership.Leases;
import io.pciefarm.proto.v1.AffectedFunction;
import io.pciefarm.proto.v1.FunctionInfo;
import io.pciefarm.proto.v1.ProbeResetResponse;
import io.pciefarm.proto.v1.ResetMethod;
import io.pciefarm.proto.v1.ResetMethods;
import io.pciefarm.proto.v1.ResetRequest;
import io.pciefarm.proto.v1.ResetResponse;
import io.pciefarm.proto.v1.ResetServiceGrpc;
import io.pciefarm.proto.v1.ResetTarget;
import io.pciefarm.proto.v1.ResetTargetKind;
import io.pciefarm.proto.v1.SetResetMethodsRequest;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.time.Duration;
import java.util.List;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * ResetService end to end over real Netty: every RPC, every method, readiness, ownership and
 * every status it answers with. Resets of "test-rst" are instant (time scale 0); "test-rst-slow"
 * runs at a small time scale to see readiness take time.
 */
class ResetServiceTest extends LiveServer {
  static final String RST = "test-rst";
  static final String NVME = "0510:01:00.0";
  static final String GPU = "0510:02:00.0";
  static final String GPU_AUDIO = "0510:02:00.1";
  static final String USB = "0510:03:00.0";
  static final String QAT = "0510:00:04.0";
  static final String NIC = "0510:04:00.0";

  private static final String SPEC = """
      {"name":"test-rst","segment":1296,"timeScale":0,"devices":[
        {"device":1,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd"}]},
        {"device":2,"model":"root-port-acs","children":[{"device":0,"model":"gpu"}]},
        {"device":3,"model":"root-port-hotplug-acs","slot":7,
         "children":[{"device":0,"model":"usb3-bus-reset-only"}]},
        {"device":4,"model":"qat-rciep"},
        {"device":5,"model":"root-port-acs","children":[{"device":0,"model":"nic-flr-hang"}]}]}""";

  private static final String SLOW = """
      {"name":"test-rst-slow","segment":1297,"timeScale":0.05,"devices":[
        {"device":1,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd-slow-flr"}]}]}""";

  @BeforeAll
  void hierarchies() {
    server.farm().create(TopologyFiles.parse(SPEC, RST));
    server.farm().create(TopologyFiles.parse(SLOW, "test-rst-slow"));
  }

  @AfterAll
  void deleteHierarchies() {
    server.farm().delete(RST);
    server.farm().delete("test-rst-slow");
  }

  private PciFunction engine(String address) {
    PciAddress a = PciAddress.parse(address);
    return server.farm().bySegment(a.segment()).lookup(a);
  }

  static List<String> addresses(List<AffectedFunction> affected) {
    return affected.stream().map(AffectedFunction::getAddress).toList();
  }

  /** The PreconditionFailure violation types of a FAILED_PRECONDITION. */
  static List<String> violationTypes(PcieFarmException e) throws Exception {
    for (Any any : StatusProto.fromThrowable(e.getCause()).getDetailsList()) {
      if (any.is(PreconditionFailure.class)) {
        return any.unpack(PreconditionFailure.class).getViolationsList().stream()
            .map(PreconditionFailure.Violation::getType).toList();
      }
    }
    return List.of();
  }

  /** Waits for {@code condition}, bounded generously for a loaded CI machine. */
  static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
    while (!condition.getAsBoolean() && System.nanoTime() < until) {
      Thread.sleep(10);
    }
    assertTrue(condition.getAsBoolean(), what);
  }

  private ResetResponse reset(Via via, ResetSpec spec, ResetMethod expected,
      List<String> affected) {
    ResetResponse r = client(via).hierarchy(RST).reset(spec);
    assertEquals(expected, r.getMethod(), spec.toString());
    assertEquals(affected, addresses(r.getAffectedList()), spec.toString());
    assertEquals(List.of(), r.getNotReadyList(), spec.toString());
    assertTrue(r.hasReadyAfter(), "every function came back: " + r);
    assertFalse(r.getRestored());
    assertTrue(r.getEventSequence() > 1, "events of the reset follow the hierarchy's creation");
    for (String a : affected) {
      assertTrue(engine(a).ready(), a + " is ready when the answer comes");
    }
    return r;
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void everyMethodEndToEnd(Via via) {
    FunctionHandle nvme = client(via).function(NVME);
    nvme.writeWord(4, 0x6); // Command: memory space, bus master
    reset(via, ResetSpec.function("01:00.0"), ResetMethod.RESET_METHOD_DEVICE_SPECIFIC,
        List.of(NVME));
    assertEquals(0, nvme.readWord(4), "registers back at their defaults");
    nvme.writeWord(4, 0x6);
    reset(via, ResetSpec.function(NVME).methods("flr"), ResetMethod.RESET_METHOD_FLR,
        List.of(NVME));
    assertEquals(0, nvme.readWord(4));
    nvme.writeWord(4, 0x6);
    reset(via, ResetSpec.function(NVME).methods("bus"), ResetMethod.RESET_METHOD_BUS,
        List.of(NVME));
    assertEquals(0, nvme.readWord(4));
    assertEquals(0x144d, nvme.readWord(0));

    reset(via, ResetSpec.function(QAT).methods("af_flr"), ResetMethod.RESET_METHOD_AF_FLR,
        List.of(QAT));
    assertEquals(0x8086, client(via).function(QAT).readWord(0));
    reset(via, ResetSpec.device(GPU).methods("pm"), ResetMethod.RESET_METHOD_PM,
        List.of(GPU, GPU_AUDIO));
    reset(via, ResetSpec.function(USB), ResetMethod.RESET_METHOD_SLOT, List.of(USB));
    reset(via, ResetSpec.slot(7).methods("power_cycle"), ResetMethod.RESET_METHOD_POWER_CYCLE,
        List.of(USB));
    assertEquals(0x1b6f, client(via).function(USB).readWord(0), "the card is back after power");
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void targetsByNumberAndByAddress(Via via) {
    reset(via, ResetSpec.slotOf("00:03.0"), ResetMethod.RESET_METHOD_SLOT, List.of(USB));
    reset(via, ResetSpec.slot(RST, 7), ResetMethod.RESET_METHOD_SLOT, List.of(USB));
    reset(via, ResetSpec.bus(3).methods("bus"), ResetMethod.RESET_METHOD_BUS, List.of(USB));
    reset(via, ResetSpec.busBelow("0510:00:01.0"), ResetMethod.RESET_METHOD_BUS, List.of(NVME));
    reset(via, ResetSpec.bus(RST, 1), ResetMethod.RESET_METHOD_BUS, List.of(NVME));
    reset(via, ResetSpec.device("02:00.1").methods("FUNC"), ResetMethod.RESET_METHOD_PM,
        List.of(GPU, GPU_AUDIO));
    // The async form answers the same.
    ResetResponse r = client(via).hierarchy(RST).resetAsync(ResetSpec.function(NVME)
        .methods("flr")).join();
    assertEquals(ResetMethod.RESET_METHOD_FLR, r.getMethod());
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void saveRestoreBringsTheConfigStateBack(Via via) {
    FunctionHandle nvme = client(via).function(NVME);
    nvme.writeWord(4, 0x6);
    ResetResponse r = client(via).reset(ResetSpec.function(NVME).methods("flr").saveRestore());
    assertTrue(r.getRestored());
    assertEquals(0x6, nvme.readWord(4), "Command restored");
    nvme.writeWord(4, 0);
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void probeReportsThePlanAndChangesNothing(Via via) {
    HierarchyHandle h = client(via).hierarchy(RST);
    ProbeResetResponse p = h.probeReset(ResetSpec.function("01:00.0"));
    assertEquals(ResetMethod.RESET_METHOD_DEVICE_SPECIFIC, p.getMethod());
    assertEquals(List.of(ResetMethod.RESET_METHOD_DEVICE_SPECIFIC, ResetMethod.RESET_METHOD_FLR,
        ResetMethod.RESET_METHOD_BUS), p.getSupportedList());
    assertTrue(p.getPermitted());
    AffectedFunction a = p.getAffected(0);
    FunctionInfo info = h.topology().getFunctionsList().stream()
        .filter(f -> f.getAddress().equals(NVME)).findFirst().orElseThrow();
    assertEquals(info.getIsolationGroup(), a.getIsolationGroup());
    assertEquals("host", a.getOwner());
    assertEquals("", a.getLeaseId());
    assertFalse(a.getBlocking());
    assertEquals(ResetMethod.RESET_METHOD_BUS,
        h.probeReset(ResetSpec.function(NVME).methods("LINK")).getMethod());
    assertEquals(List.of(ResetMethod.RESET_METHOD_SLOT, ResetMethod.RESET_METHOD_BUS,
        ResetMethod.RESET_METHOD_POWER_CYCLE), h.probeReset(ResetSpec.slot(7))
        .getSupportedList());

    FunctionHandle gpu = client(via).function(GPU);
    gpu.writeWord(4, 0x4); // bus master: in use
    ProbeResetResponse busy = h.probeReset(ResetSpec.device(GPU));
    assertEquals(ResetMethod.RESET_METHOD_PM, busy.getMethod());
    assertEquals("bus mastering enabled", busy.getAffected(0).getInUse());
    assertEquals("", busy.getAffected(1).getInUse());
    assertEquals(0x4, gpu.readWord(4), "a probe changes nothing");
    ResetResponse r = h.reset(ResetSpec.device(GPU));
    assertEquals(List.of(GPU + " is in use: bus mastering enabled"), r.getWarningsList());
    gpu.writeWord(4, 0);
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void aFunctionThatDoesNotComeBackIsReportedNotReady(Via via) {
    ResetResponse r = client(via).reset(ResetSpec.function(NIC).methods("flr"));
    assertEquals(List.of(NIC), r.getNotReadyList());
    assertFalse(r.hasReadyAfter());
    expect(Status.Code.UNAVAILABLE, () -> client(via).function(NIC).readDword(8));
    ResetResponse recovered = client(via).reset(ResetSpec.function(NIC).methods("bus"));
    assertEquals(List.of(), recovered.getNotReadyList());
    assertEquals(0x10ec, client(via).function(NIC).readWord(0));
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void refusals(Via via) throws Exception {
    PcieFarmClient c = client(via);
    expect(Status.Code.NOT_FOUND, () -> c.reset(ResetSpec.function("7777:01:00.0")));
    expect(Status.Code.NOT_FOUND, () -> c.reset(ResetSpec.slot("no-such-hierarchy", 1)));
    expect(Status.Code.NOT_FOUND, () -> c.reset(ResetSpec.function("0510:09:00.0")));
    PcieFarmException slot = expect(Status.Code.NOT_FOUND,
        () -> c.reset(ResetSpec.slot(RST, 99)));
    assertTrue(slot.getMessage().contains("slot 99"), slot.getMessage());
    expect(Status.Code.NOT_FOUND, () -> c.probeReset(ResetSpec.bus(RST, 0x77)));
    expect(Status.Code.NOT_FOUND, () -> c.reset(ResetSpec.function(NVME).lease("no-such")));

    PcieFarmException noSlot = expect(Status.Code.INVALID_ARGUMENT,
        () -> c.reset(ResetSpec.slotOf("0510:00:01.0")));
    assertEquals(List.of("target.address"), noSlot.badFields());
    expect(Status.Code.INVALID_ARGUMENT, () -> c.reset(ResetSpec.busBelow(NVME)));

    PcieFarmException root = expect(Status.Code.FAILED_PRECONDITION,
        () -> c.reset(ResetSpec.bus(RST, 0)));
    assertEquals(List.of("ROOT_BUS"), violationTypes(root));
    PcieFarmException noMethod = expect(Status.Code.FAILED_PRECONDITION,
        () -> c.reset(ResetSpec.function(USB).methods("FUNC")));
    assertEquals(List.of("NO_METHOD"), violationTypes(noMethod));
    expect(Status.Code.FAILED_PRECONDITION,
        () -> c.probeReset(ResetSpec.function(USB).methods("flr")));

    // What the library cannot even send: malformed addresses and unknown enum values.
    ResetServiceGrpc.ResetServiceBlockingStub raw = ResetServiceGrpc.newBlockingStub(
        c.channel());
    ResetTarget fn = ResetTarget.newBuilder()
        .setKind(ResetTargetKind.RESET_TARGET_KIND_FUNCTION).setAddress(NVME).build();
    expectRaw(Status.Code.INVALID_ARGUMENT, () -> raw.reset(ResetRequest.newBuilder()
        .setTarget(fn.toBuilder().setAddress("zz:1")).build()));
    expectRaw(Status.Code.INVALID_ARGUMENT, () -> raw.reset(ResetRequest.newBuilder()
        .setTarget(fn).addMethodsValue(99).build()));
    expectRaw(Status.Code.INVALID_ARGUMENT, () -> raw.reset(ResetRequest.newBuilder()
        .setTarget(fn).addMethodsValue(0).build()));
    expectRaw(Status.Code.INVALID_ARGUMENT, () -> raw.reset(ResetRequest.newBuilder()
        .setTarget(fn).setAliasValue(9).build()));
    expectRaw(Status.Code.INVALID_ARGUMENT, () -> raw.reset(ResetRequest.newBuilder()
        .setTarget(fn).setModeValue(7).build()));
    expectRaw(Status.Code.INVALID_ARGUMENT, () -> raw.reset(ResetRequest.newBuilder()
        .setTarget(fn.toBuilder().clearKind()).build()));
    expectRaw(Status.Code.INVALID_ARGUMENT, () -> raw.reset(ResetRequest.newBuilder()
        .setTarget(fn).setWaitTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(-1))
        .build()));
    expectRaw(Status.Code.INVALID_ARGUMENT, () -> raw.reset(ResetRequest.newBuilder()
        .setTarget(ResetTarget.newBuilder().setKind(ResetTargetKind.RESET_TARGET_KIND_SLOT)
            .setHierarchy(RST)).build()));
    expectRaw(Status.Code.INVALID_ARGUMENT, () -> raw.reset(ResetRequest.newBuilder()
        .setTarget(ResetTarget.newBuilder().setKind(ResetTargetKind.RESET_TARGET_KIND_BUS)
            .setHierarchy(RST).setBus(300)).build()));
    expectRaw(Status.Code.INVALID_ARGUMENT, () -> raw.reset(ResetRequest.newBuilder()
        .setTarget(fn.toBuilder().setHierarchy("storage-switch")).build()));
  }

  /**
   * Ownership: a reset reaching another's functions is refused, naming each one in the
   * PreconditionFailure; the lease holder's reset goes through with its lease.
   */
  @ParameterizedTest
  @EnumSource(Via.class)
  void resetsOfLeasedFunctionsAreTheirTenants(Via via) throws Exception {
    PcieFarmClient c = client(via);
    Hierarchy h = server.farm().get(RST);
    Leases leases = server.farm().leases();
    Lease theirs = leases.acquire(new Leases.Request(h, List.of(),
        List.of(PciAddress.parse(GPU)), Duration.ofMinutes(5), "tenant-a", "alice", false,
        null)).get();
    try {
      ProbeResetResponse p = c.probeReset(ResetSpec.device(GPU));
      assertFalse(p.getPermitted());
      for (AffectedFunction a : p.getAffectedList()) {
        assertTrue(a.getBlocking(), a.toString());
        assertEquals(theirs.id(), a.getLeaseId());
        assertEquals("alice", a.getOwner());
      }
      // Another tenant's functions are refused, administrators included.
      PcieFarmException e = expect(Status.Code.FAILED_PRECONDITION,
          () -> c.reset(ResetSpec.device(GPU)));
      assertEquals(List.of(GPU, GPU_AUDIO), e.blockingFunctions());
      assertEquals(List.of("OWNERSHIP", "OWNERSHIP"), violationTypes(e));
      assertTrue(e.getMessage().contains(theirs.id()), e.getMessage());
      // Someone else's lease id proves nothing: it is not this tenant's.
      expect(Status.Code.PERMISSION_DENIED,
          () -> c.reset(ResetSpec.device(GPU).lease(theirs.id())));
      expect(Status.Code.PERMISSION_DENIED, () -> c.setResetMethods(Address.parse(GPU),
          List.of(ResetMethod.RESET_METHOD_PM)));
    } finally {
      leases.release(theirs.id(), "tenant-a").get();
    }

    Lease mine = leases.acquire(new Leases.Request(h, List.of(), List.of(PciAddress.parse(GPU)),
        Duration.ofMinutes(5), LOCAL_TENANT, "me", false, null)).get();
    Lease drive = leases.acquire(new Leases.Request(h, List.of(),
        List.of(PciAddress.parse(NVME)), Duration.ofMinutes(5), LOCAL_TENANT, "me", false,
        null)).get();
    try {
      // Without a lease id the tenant's own leases count, as for writes.
      ProbeResetResponse p = c.probeReset(ResetSpec.device(GPU));
      assertTrue(p.getPermitted());
      assertEquals(List.of(false, false), p.getAffectedList().stream()
          .map(AffectedFunction::getBlocking).toList());
      ResetResponse r = c.reset(ResetSpec.device(GPU));
      assertEquals(List.of(mine.id(), mine.id()), r.getAffectedList().stream()
          .map(AffectedFunction::getLeaseId).toList());
      assertEquals(1, c.function(GPU).reset("pm").getAffectedCount(),
          "a typed handle resets its tenant's function without the lease id");
      // With one, the reset is narrowed to that lease: the drive is the tenant's, not this
      // lease's.
      assertTrue(c.probeReset(ResetSpec.device(GPU).lease(mine.id())).getPermitted());
      c.reset(ResetSpec.device(GPU).lease(mine.id()));
      PcieFarmException e = expect(Status.Code.FAILED_PRECONDITION,
          () -> c.reset(ResetSpec.function(NVME).lease(mine.id())));
      assertEquals(List.of(NVME), e.blockingFunctions());
      assertTrue(e.getMessage().contains(drive.id()), e.getMessage());
      assertFalse(c.probeReset(ResetSpec.function(NVME).lease(mine.id())).getPermitted());
      c.reset(ResetSpec.function(NVME).lease(drive.id()));
      c.reset(ResetSpec.function(NVME));
    } finally {
      leases.release(mine.id(), LOCAL_TENANT).get();
      leases.release(drive.id(), LOCAL_TENANT).get();
    }
  }

  /** The tenant of a server without authentication: {@code Caller.LOCAL}. */
  private static final String LOCAL_TENANT = io.pciefarm.grpc.Caller.LOCAL.tenant();

  @ParameterizedTest
  @EnumSource(Via.class)
  void resetMethodsReadAndWriteLikeSysfs(Via via) {
    PcieFarmClient c = client(via);
    FunctionHandle nvme = c.function(NVME);
    List<ResetMethod> all = List.of(ResetMethod.RESET_METHOD_DEVICE_SPECIFIC,
        ResetMethod.RESET_METHOD_FLR, ResetMethod.RESET_METHOD_BUS);
    try {
      ResetMethods m = nvme.resetMethods();
      assertEquals(NVME, m.getAddress());
      assertEquals(all, m.getSupportedList());
      assertEquals(all, m.getEnabledList());

      List<ResetMethod> busFirst = List.of(ResetMethod.RESET_METHOD_BUS,
          ResetMethod.RESET_METHOD_FLR);
      assertEquals(busFirst, nvme.setResetMethods(busFirst).getEnabledList());
      assertEquals(ResetMethod.RESET_METHOD_BUS, c.reset(ResetSpec.function(NVME)).getMethod());

      PcieFarmException pm = expect(Status.Code.INVALID_ARGUMENT,
          () -> nvme.setResetMethods(List.of(ResetMethod.RESET_METHOD_PM)));
      assertTrue(pm.getMessage().contains("does not support reset method 'pm'"), pm.getMessage());
      assertEquals(List.of("methods"), pm.badFields());
      expect(Status.Code.INVALID_ARGUMENT, () -> nvme.setResetMethods(List.of(
          ResetMethod.RESET_METHOD_FLR, ResetMethod.RESET_METHOD_FLR)));
      expect(Status.Code.INVALID_ARGUMENT, () -> nvme.setResetMethods(List.of(
          ResetMethod.RESET_METHOD_POWER_CYCLE)));
      assertEquals(busFirst, nvme.resetMethods().getEnabledList(), "a refused list keeps the old");

      assertEquals(List.of(), nvme.disableResets().getEnabledList());
      PcieFarmException off = expect(Status.Code.FAILED_PRECONDITION,
          () -> c.reset(ResetSpec.function(NVME)));
      assertTrue(off.getMessage().contains("resets are disabled"), off.getMessage());

      assertEquals(all, nvme.setResetMethods(List.of()).getEnabledList(), "empty: default");

      expect(Status.Code.NOT_FOUND, () -> c.resetMethods(Address.parse("0510:09:00.0")));
      expect(Status.Code.NOT_FOUND, () -> c.resetMethods(Address.parse("7777:00:00.0")));
      ResetServiceGrpc.ResetServiceBlockingStub raw = ResetServiceGrpc.newBlockingStub(
          c.channel());
      expectRaw(Status.Code.INVALID_ARGUMENT, () -> raw.setResetMethods(
          SetResetMethodsRequest.newBuilder().setAddress(NVME).addMethodsValue(42).build()));
      expectRaw(Status.Code.INVALID_ARGUMENT, () -> raw.setResetMethods(
          SetResetMethodsRequest.newBuilder().setAddress(NVME).setDisable(true)
              .addMethods(ResetMethod.RESET_METHOD_FLR).build()));
      expectRaw(Status.Code.INVALID_ARGUMENT, () -> raw.getResetMethods(
          io.pciefarm.proto.v1.GetResetMethodsRequest.newBuilder().setAddress("bogus").build()));
    } finally {
      c.setResetMethods(Address.parse(NVME), List.of());
    }
  }

  /**
   * At a non-zero time scale readiness takes time: with wait_ready the answer comes once the
   * function is ready; without, at once, naming what is still coming back.
   */
  @ParameterizedTest
  @EnumSource(Via.class)
  void readinessTakesTimeAtANonZeroScale(Via via) throws Exception {
    HierarchyHandle h = client(via).hierarchy("test-rst-slow");
    String drive = "0511:01:00.0";
    ResetResponse waited = h.reset(ResetSpec.function("01:00.0").methods("flr"));
    assertEquals(List.of(), waited.getNotReadyList());
    assertTrue(waited.hasReadyAfter());
    assertTrue(engine(drive).ready(), "ready when the answer comes");

    FunctionHandle f = h.function("01:00.0");
    f.writeWord(4, 0x2);
    ResetResponse issued = h.reset(ResetSpec.function("01:00.0").methods("flr").saveRestore()
        .waitReady(false));
    assertEquals(List.of(drive), issued.getNotReadyList(), "still in Retry Status when issued");
    assertTrue(issued.hasReadyAfter(), "an FLR's ready time is known when it is issued");
    assertTrue(issued.getRestored());
    await("the drive comes back", () -> engine(drive).ready());
    await("and its state is restored", () -> engine(drive).config().read(4, 2) == 0x2);
    f.writeWord(4, 0);
  }

  /** A retried reset carrying the same request_id runs once and is answered from memory. */
  @ParameterizedTest
  @EnumSource(Via.class)
  void aRetriedResetWithTheSameRequestIdRunsOnce(Via via) {
    ResetServiceGrpc.ResetServiceBlockingStub raw = ResetServiceGrpc.newBlockingStub(
        client(via).channel());
    ResetRequest request = ResetRequest.newBuilder()
        .setTarget(ResetTarget.newBuilder().setKind(ResetTargetKind.RESET_TARGET_KIND_FUNCTION)
            .setAddress(QAT))
        .addMethodsValue(ResetMethod.RESET_METHOD_FLR_VALUE)
        .setRequestId(PcieFarmClient.newRequestId()).build();
    Hierarchy h = server.farm().get(RST);
    long before = h.resets().stats().started();
    ResetResponse first = raw.reset(request);
    ResetResponse again = raw.reset(request);
    assertEquals(before + 1, h.resets().stats().started(), "the reset ran once");
    assertEquals(false, first.getReplayed());
    assertEquals(true, again.getReplayed());
    assertEquals(first.getMethod(), again.getMethod());
  }

  /**
   * A client that gives up while its reset is running does not withdraw it: the reset
   * runs to its end, and the retry with the same request id is answered with its outcome
   * instead of resetting the device a second time.
   */
  @ParameterizedTest
  @EnumSource(Via.class)
  void aResetThatStartedIsNotRunAgainByARetryAfterTheClientGaveUp(Via via) throws Exception {
    String n = "test-rst-retry-" + via.name().toLowerCase();
    server.farm().create(TopologyFiles.parse("""
        {"name":"%s","segment":%d,"timeScale":1,"devices":[
          {"device":1,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd-slow-flr"}]}]}"""
        .formatted(n, via == Via.TCP ? 0x5a0 : 0x5a1), n));
    try {
      Hierarchy h = server.farm().get(n);
      String drive = String.format("%04x:01:00.0", h.segment());
      ResetServiceGrpc.ResetServiceBlockingStub raw = ResetServiceGrpc.newBlockingStub(
          client(via).channel());
      ResetRequest request = ResetRequest.newBuilder()
          .setTarget(ResetTarget.newBuilder().setKind(ResetTargetKind.RESET_TARGET_KIND_FUNCTION)
              .setAddress(drive))
          .addMethodsValue(ResetMethod.RESET_METHOD_FLR_VALUE)
          .setWaitReady(true) // the answer waits the drive's 1 s FLR recovery
          .setRequestId(PcieFarmClient.newRequestId()).build();
      long before = h.resets().stats().started();
      io.grpc.Context.CancellableContext call = io.grpc.Context.current().withCancellation();
      java.util.concurrent.atomic.AtomicReference<Status.Code> code =
          new java.util.concurrent.atomic.AtomicReference<>();
      java.util.concurrent.CompletableFuture<Void> first =
          java.util.concurrent.CompletableFuture.runAsync(call.wrap(() -> {
            try {
              raw.reset(request);
              code.set(Status.Code.OK);
            } catch (io.grpc.StatusRuntimeException e) {
              code.set(e.getStatus().getCode());
            }
          }));
      await("the reset started", () -> h.resets().stats().started() == before + 1);
      call.cancel(null); // the client gives up while the drive is still in its FLR
      first.join();
      assertEquals(Status.Code.CANCELLED, code.get());

      ResetResponse again = raw.reset(request);
      assertTrue(again.getReplayed(), "answered with the first attempt's outcome");
      assertEquals(before + 1, h.resets().stats().started(), "not reset a second time");
      assertEquals(List.of(), again.getNotReadyList(), "it ran to its end: the drive is back");
    } finally {
      server.farm().delete(n);
    }
  }
}
