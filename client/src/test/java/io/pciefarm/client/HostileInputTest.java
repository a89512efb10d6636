package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.proto.v1.Access;
import io.pciefarm.proto.v1.AccessBatch;
import io.pciefarm.proto.v1.AccessBatchResult;
import io.pciefarm.proto.v1.ConfigServiceGrpc;
import io.pciefarm.proto.v1.CreateHierarchyRequest;
import io.pciefarm.proto.v1.DeviceSpec;
import io.pciefarm.proto.v1.FarmServiceGrpc;
import io.pciefarm.proto.v1.GetTopologyRequest;
import io.pciefarm.proto.v1.HierarchySpec;
import io.pciefarm.proto.v1.ReadRequest;
import io.pciefarm.proto.v1.Width;
import io.pciefarm.proto.v1.AccessError;
import io.pciefarm.proto.v1.AcquireRequest;
import io.pciefarm.proto.v1.EventFilter;
import io.pciefarm.proto.v1.EventServiceGrpc;
import io.pciefarm.proto.v1.EventStreamItem;
import io.pciefarm.proto.v1.EventType;
import io.pciefarm.proto.v1.HotPlugServiceGrpc;
import io.pciefarm.proto.v1.InsertRequest;
import io.pciefarm.proto.v1.ProbeResetRequest;
import io.pciefarm.proto.v1.ProbeResetResponse;
import io.pciefarm.proto.v1.ResetRequest;
import io.pciefarm.proto.v1.ResetServiceGrpc;
import io.pciefarm.proto.v1.ResetTarget;
import io.pciefarm.proto.v1.ResetTargetKind;
import io.pciefarm.proto.v1.SetResetMethodsRequest;
import io.pciefarm.proto.v1.SlotRef;
import io.pciefarm.proto.v1.SubscribeRequest;
import io.pciefarm.spec.Header;
import java.util.concurrent.CompletableFuture;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Malformed and hostile requests: each gets a precise status, and afterwards the server still
 * answers every service correctly.
 */
class HostileInputTest extends LiveServer {
  private static final String NVME = "0001:03:00.0";

  @ParameterizedTest
  @EnumSource(Via.class)
  void survivesHostileRequests(Via via) throws Exception {
    PcieFarmClient c = client(via);
    int vendorDevice = c.function(NVME).readDword(0);
    int command = c.function(NVME).readWord(Header.COMMAND);
    ConfigServiceGrpc.ConfigServiceBlockingStub config =
        ConfigServiceGrpc.newBlockingStub(c.channel());
    FarmServiceGrpc.FarmServiceBlockingStub farm = FarmServiceGrpc.newBlockingStub(c.channel());

    // Addresses: garbage, control characters, a megabyte of text, unicode.
    for (String bad : List.of("\u0000", "0001:03:00.0 extra", "0001:03:00.0;rm -rf /",
        "x".repeat(1 << 20), "\u00fe\u00ff:00:00.0", "-1:00:00.0", "0001:03:00.-1")) {
      expectRaw(Status.Code.INVALID_ARGUMENT, () -> config.read(ReadRequest.newBuilder()
          .setAddress(bad).setWidth(Width.WIDTH_DWORD).build()));
    }
    // Enums no server knows, offsets at and past every edge.
    for (int width : new int[] {Integer.MIN_VALUE, -4, 0, 3, 5, 8, Integer.MAX_VALUE}) {
      expectRaw(Status.Code.INVALID_ARGUMENT, () -> config.read(ReadRequest.newBuilder()
          .setAddress(NVME).setWidthValue(width).build()));
    }
    for (int offset : new int[] {-1, -4, 4096, 4095, Integer.MIN_VALUE, Integer.MAX_VALUE}) {
      expectRaw(Status.Code.INVALID_ARGUMENT, () -> config.read(ReadRequest.newBuilder()
          .setAddress(NVME).setOffset(offset).setWidth(Width.WIDTH_DWORD).build()));
    }

    // A message over the size limit (4 MiB): refused by gRPC itself.
    AccessBatch.Builder huge = AccessBatch.newBuilder().setId(1);
    Access one = Access.newBuilder().setAddress(0x10300).setOffset(0xffc)
        .setWidth(Width.WIDTH_DWORD).build();
    while (huge.getAccessesCount() * 12L < 5L << 20) {
      huge.addAccesses(one);
    }
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, batchStatus(c, List.of(huge.build())));
    // A batch over the access limit, after a good one.
    AccessBatch.Builder over = AccessBatch.newBuilder().setId(2);
    for (int i = 0; i < 100_000; i++) {
      over.addAccesses(one);
    }
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, batchStatus(c, List.of(
        AccessBatch.newBuilder().setId(1).addAccesses(one).build(), over.build())));

    // Bytes that are not protobuf at all, to a real method.
    assertEquals(Status.Code.INVALID_ARGUMENT, rawCall(c, ConfigServiceGrpc.getReadMethod()
        .getFullMethodName(), new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0a, 0x7f}));
    assertEquals(Status.Code.INVALID_ARGUMENT, rawCall(c, FarmServiceGrpc
        .getCreateHierarchyMethod().getFullMethodName(), new byte[] {0x0a, (byte) 0xff, 0x01}));
    // A method that does not exist, and a service that does not.
    assertEquals(Status.Code.UNIMPLEMENTED, rawCall(c, "pciefarm.v1.ConfigService/Format",
        new byte[0]));
    assertEquals(Status.Code.UNIMPLEMENTED, rawCall(c, "pciefarm.v1.WarpService/Engage",
        new byte[0]));

    // Specs that are nonsense: deep nesting, a thousand devices, numbers out of range.
    DeviceSpec.Builder deep = DeviceSpec.newBuilder().setModel("nvme-ssd");
    for (int i = 0; i < 200; i++) {
      deep = DeviceSpec.newBuilder().setModel("switch-upstream-port").addChildren(deep);
    }
    HierarchySpec.Builder many = HierarchySpec.newBuilder().setName("test-many").setSegment(0x500);
    for (int i = 0; i < 1000; i++) {
      many.addDevices(DeviceSpec.newBuilder().setDevice(i).setModel("root-port-acs"));
    }
    for (HierarchySpec spec : List.of(
        HierarchySpec.newBuilder().setName("test-deep").setSegment(0x501)
            .addDevices(DeviceSpec.newBuilder().setDevice(1).setModel("root-port-acs")
                .addChildren(deep)).build(),
        many.build(),
        HierarchySpec.newBuilder().setName("test-segment").setSegment(0x10000).build(),
        HierarchySpec.newBuilder().setName("").build())) {
      expectRaw(Status.Code.INVALID_ARGUMENT, () -> farm.createHierarchy(
          CreateHierarchyRequest.newBuilder().setSpec(spec).build()));
    }

    // Streams cancelled at every stage: before sending, after one batch, mid-pipeline.
    for (int i = 0; i < 20; i++) {
      ConfigStream s = c.openStream(4);
      Batch b = new Batch();
      for (int k = 0; k < 512; k++) {
        b.read(Address.parse(NVME), (k % 1024) * 4, 4);
      }
      if (i % 3 >= 1) {
        s.submit(b);
      }
      if (i % 3 == 2) {
        s.submit(b);
        s.submit(b);
      }
      s.cancel();
    }
    // A call cancelled by its deadline before the server gets to it.
    expectRaw(Status.Code.DEADLINE_EXCEEDED, () -> farm.withDeadlineAfter(1, TimeUnit.NANOSECONDS)
        .getTopology(GetTopologyRequest.getDefaultInstance()));

    // Enum values no server knows, on the other services: reset methods, aliases and modes,
    // event types, batch ops and widths.
    ResetServiceGrpc.ResetServiceBlockingStub reset = ResetServiceGrpc.newBlockingStub(
        c.channel());
    ResetTarget target = ResetTarget.newBuilder()
        .setKind(ResetTargetKind.RESET_TARGET_KIND_FUNCTION).setAddress(NVME).build();
    for (int m : new int[] {0, 99, -1, Integer.MAX_VALUE}) {
      expectRaw(Status.Code.INVALID_ARGUMENT, () -> reset.reset(ResetRequest.newBuilder()
          .setTarget(target).addMethodsValue(m).setRequestId(PcieFarmClient.newRequestId())
          .build()));
      expectRaw(Status.Code.INVALID_ARGUMENT, () -> reset.probeReset(ProbeResetRequest
          .newBuilder().setTarget(target).addMethodsValue(m).build()));
      expectRaw(Status.Code.INVALID_ARGUMENT, () -> reset.setResetMethods(
          SetResetMethodsRequest.newBuilder().setAddress(NVME).addMethodsValue(m).build()));
    }
    expectRaw(Status.Code.INVALID_ARGUMENT, () -> reset.reset(ResetRequest.newBuilder()
        .setTarget(target).setAliasValue(42).build()));
    expectRaw(Status.Code.INVALID_ARGUMENT, () -> reset.reset(ResetRequest.newBuilder()
        .setTarget(target).setModeValue(7).build()));
    expectRaw(Status.Code.INVALID_ARGUMENT, () -> reset.reset(ResetRequest.newBuilder()
        .setTarget(target.toBuilder().setKindValue(9)).build()));
    for (int type : new int[] {0, 999, -5}) {
      expect(Status.Code.INVALID_ARGUMENT, () -> c.subscribe(EventFilter.newBuilder()
          .addTypesValue(type).build(), 0, e -> { }));
    }
    Access read = Access.newBuilder().setAddress(0x10300).setWidth(Width.WIDTH_DWORD).build();
    Batched odd = batch(c, List.of(AccessBatch.newBuilder().setId(7)
        .addAccesses(read.toBuilder().setOpValue(77))
        .addAccesses(read)
        .addAccesses(read.toBuilder().setWidthValue(9))
        .addAccesses(read.toBuilder().setOpValue(-1).setValue(0xffff)).build()));
    assertEquals(Status.Code.OK, odd.status().getCode(), odd.status().toString());
    AccessBatchResult r = odd.results().get(0);
    assertEquals(vendorDevice, r.getValues(1), "the good access in between is served");
    assertEquals(List.of(0, 2, 3), r.getErrorsList().stream().map(AccessError::getIndex)
        .toList());
    for (AccessError e : r.getErrorsList()) {
      assertEquals(Status.Code.INVALID_ARGUMENT.value(), e.getCode(), e.toString());
    }
    assertTrue(r.getErrors(0).getMessage().contains("op 77"), r.getErrors(0).getMessage());

    // Request ids: over the limit (a megabyte of one), and garbage of a legal length, which is
    // only a name: the call acts once under it.
    String hugeId = "r".repeat(1 << 20);
    expect(Status.Code.INVALID_ARGUMENT, () -> c.write(Address.parse(NVME), Header.COMMAND, 2,
        command, hugeId));
    expect(Status.Code.INVALID_ARGUMENT, () -> c.write(Address.parse(NVME), Header.COMMAND, 2,
        command, "x".repeat(129)));
    expectRaw(Status.Code.INVALID_ARGUMENT, () -> reset.reset(ResetRequest.newBuilder()
        .setTarget(target).setRequestId(hugeId).build()));
    expect(Status.Code.INVALID_ARGUMENT, () -> c.acquireLease(AcquireRequest.newBuilder()
        .setHierarchy("storage-switch").addFunctions(NVME).setRequestId(hugeId).build()));
    expectRaw(Status.Code.INVALID_ARGUMENT, () -> HotPlugServiceGrpc.newBlockingStub(
        c.channel()).insert(InsertRequest.newBuilder().setSlot(SlotRef.newBuilder()
            .setHierarchy("storage-switch").setSlot(4)).setModel("nvme-ssd").setRequestId(hugeId)
            .build()));
    assertFalse(c.slot("storage-switch", 4).state().getCardPresent(), "nothing was inserted");
    assertTrue(c.leases(null).isEmpty(), "nothing was leased");
    String garbage = "\u0000\n\u202e\uffff " + via;
    assertTrue(c.write(Address.parse(NVME), Header.COMMAND, 2, command, garbage));
    assertTrue(c.write(Address.parse(NVME), Header.COMMAND, 2, command, garbage));
    expect(Status.Code.INVALID_ARGUMENT, () -> c.write(Address.parse(NVME), Header.COMMAND, 2,
        command ^ 1, garbage));

    // Event streams cancelled before their request, right after it, and once live.
    for (int i = 0; i < 10; i++) {
      ClientCall<SubscribeRequest, EventStreamItem> call = c.channel().newCall(
          EventServiceGrpc.getSubscribeMethod(), CallOptions.DEFAULT);
      call.start(new ClientCall.Listener<>() { }, new Metadata());
      if (i % 2 == 1) {
        call.sendMessage(SubscribeRequest.getDefaultInstance());
        call.halfClose();
        call.request(1);
      }
      call.cancel("hostile client leaves", null);
      c.subscribe(EventFilter.getDefaultInstance(), 0, e -> { }).close();
    }

    // Still answering, correctly, on every service.
    assertEquals(vendorDevice, c.function(NVME).readDword(0));
    assertEquals(command, c.function(NVME).readWord(Header.COMMAND));
    assertEquals(ServingStatus.SERVING, c.health(""));
    assertEquals(TopologyFiles.EXAMPLES.size(), c.hierarchies().stream()
        .filter(h -> !h.getName().startsWith("test-")).count());
    ProbeResetResponse probe = c.probeReset(ResetSpec.function(NVME));
    assertEquals(List.of(NVME), probe.getAffectedList().stream()
        .map(io.pciefarm.proto.v1.AffectedFunction::getAddress).toList());
    assertTrue(probe.getPermitted());
    assertEquals("storage-switch", c.slot("storage-switch", 4).state().getHierarchy());
    assertTrue(c.leases("storage-switch").isEmpty());
    // A live event subscription still hears what happens.
    String name = "test-hostile-" + via.name().toLowerCase();
    CompletableFuture<io.pciefarm.proto.v1.Event> created = new CompletableFuture<>();
    try (EventSubscription events = c.subscribe(EventFilter.newBuilder()
        .addTypes(EventType.EVENT_TYPE_HIERARCHY_CREATED).build(), 0, item -> {
          if (item.getEvent().getHierarchy().equals(name)) {
            created.complete(item.getEvent());
          }
        })) {
      c.createHierarchy(HierarchySpec.newBuilder().setName(name)
          .setSegment(via == Via.TCP ? 0x502 : 0x503)
          .addDevices(DeviceSpec.newBuilder().setDevice(1).setModel("root-port-acs")).build());
      assertEquals(1, created.get(30, TimeUnit.SECONDS).getSequence());
    } finally {
      c.deleteHierarchy(name);
    }
    long streamsUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (server.openEventStreams() != 0 && System.nanoTime() < streamsUntil) {
      Thread.sleep(50);
    }
    assertEquals(0, server.openEventStreams(), "cancelled event streams are cleaned up");
    assertEquals(0, server.farm().events().subscriptionCount());
    try (ConfigStream s = c.openStream()) {
      Batch b = new Batch();
      b.read(Address.parse(NVME), 0, 4);
      assertEquals(vendorDevice, s.execute(b).value(0));
    }
    long until = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    while (server.openBatchStreams() != 0 && System.nanoTime() < until) {
      Thread.sleep(50);
    }
    assertEquals(0, server.openBatchStreams(), "cancelled streams are cleaned up");
  }

  /** Sends the batches on a raw stream and returns the status it ends with. */
  private static Status.Code batchStatus(PcieFarmClient c, List<AccessBatch> batches)
      throws InterruptedException {
    Batched b = batch(c, batches);
    assertNotNull(b.status().getDescription(), b.status().toString());
    return b.status().getCode();
  }

  /** How a raw batch stream ended, and the results it got. */
  private record Batched(Status status, List<AccessBatchResult> results) {}

  private static Batched batch(PcieFarmClient c, List<AccessBatch> batches)
      throws InterruptedException {
    CountDownLatch done = new CountDownLatch(1);
    AtomicReference<Status> status = new AtomicReference<>(Status.OK);
    List<AccessBatchResult> results = new ArrayList<>();
    StreamObserver<AccessBatch> out = ConfigServiceGrpc.newStub(c.channel()).batch(
        new StreamObserver<>() {
          @Override
          public void onNext(AccessBatchResult r) {
            results.add(r);
          }

          @Override
          public void onError(Throwable t) {
            status.set(Status.fromThrowable(t));
            done.countDown();
          }

          @Override
          public void onCompleted() {
            done.countDown();
          }
        });
    for (AccessBatch b : batches) {
      out.onNext(b);
    }
    out.onCompleted();
    assertTrue(done.await(60, TimeUnit.SECONDS));
    return new Batched(status.get(), List.copyOf(results));
  }

  /** Calls a method by name with raw bytes as the request; returns the status. */
  private static Status.Code rawCall(PcieFarmClient c, String method, byte[] request) {
    MethodDescriptor.Marshaller<byte[]> bytes = new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(byte[] value) {
        return new ByteArrayInputStream(value);
      }

      @Override
      public byte[] parse(InputStream stream) {
        try {
          return stream.readAllBytes();
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    };
    MethodDescriptor<byte[], byte[]> m = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY).setFullMethodName(method)
        .setRequestMarshaller(bytes).setResponseMarshaller(bytes).build();
    ClientCall<byte[], byte[]> call = c.channel().newCall(m, CallOptions.DEFAULT
        .withDeadlineAfter(30, TimeUnit.SECONDS));
    try {
      ClientCalls.blockingUnaryCall(call, request);
      return Status.Code.OK;
    } catch (io.grpc.StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  @SuppressWarnings("unused")
  private static Metadata none() {
    return new Metadata();
  }
}
