package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
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

    // Still answering, correctly, on every service.
    assertEquals(vendorDevice, c.function(NVME).readDword(0));
    assertEquals(ServingStatus.SERVING, c.health(""));
    assertEquals(5, c.hierarchies().stream().filter(h -> !h.getName().startsWith("test-"))
        .count());
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
    assertNotNull(status.get().getDescription(), status.get().toString());
    return status.get().getCode();
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
