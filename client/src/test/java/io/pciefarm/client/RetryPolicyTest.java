package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.pciefarm.grpc.PcieFarmServer;
import io.pciefarm.proto.v1.DeviceSpec;
import io.pciefarm.proto.v1.HierarchySpec;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The client's retry policy: idempotent calls are retried on UNAVAILABLE, and so are writes,
 * which carry a request id; other calls that change state never are. The server fails the first
 * {@code failures} attempts of every call with UNAVAILABLE and counts attempts per method.
 */
class RetryPolicyTest extends LiveServer {
  private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
  private volatile int failures;

  @Override
  protected PcieFarmServer.Builder configure(PcieFarmServer.Builder b) {
    return b.intercept(new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getBareMethodName();
        int attempt = attempts.computeIfAbsent(method, k -> new AtomicInteger()).incrementAndGet();
        if (attempt <= failures) {
          call.close(Status.UNAVAILABLE.withDescription("injected failure " + attempt),
              new Metadata());
          return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
      }
    });
  }

  @BeforeEach
  void reset() {
    attempts.clear();
    failures = 0;
  }

  private int attempts(String method) {
    AtomicInteger n = attempts.get(method);
    return n == null ? 0 : n.get();
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void idempotentCallsAreRetried(Via via) {
    failures = 2;
    assertEquals(0x10de, client(via).function("0000:01:00.0").readWord(0));
    assertEquals(3, attempts("Read"));
    assertEquals(5, client(via).hierarchies().size());
    assertEquals(3, attempts("ListHierarchies"));
    assertEquals(2, client(via).hierarchy("legacy-bridge").info().getSegment());
    assertEquals(3, attempts("GetHierarchy"));
    client(via).topology("legacy-bridge");
    assertEquals(3, attempts("GetTopology"));
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void retriesGiveUpAfterTheLimit(Via via) {
    failures = 100;
    PcieFarmException e = expect(Status.Code.UNAVAILABLE,
        () -> client(via).function("0000:01:00.0").readWord(0));
    assertEquals(PcieFarmClient.MAX_ATTEMPTS, attempts("Read"), e.getMessage());
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void callsThatChangeStateAreNeverRetried(Via via) {
    failures = 1;
    expect(Status.Code.UNAVAILABLE, () -> client(via).write(Address.parse("0000:01:00.0"), 4,
        2, 0, null));
    assertEquals(1, attempts("Write"), "a write without a request id is sent once");
    expect(Status.Code.UNAVAILABLE, () -> client(via).createHierarchy(
        HierarchySpec.newBuilder().setName("test-retry").setSegment(0x600)
            .addDevices(DeviceSpec.newBuilder().setDevice(1).setModel("root-port-acs")).build()));
    assertEquals(1, attempts("CreateHierarchy"));
    expect(Status.Code.UNAVAILABLE, () -> client(via).deleteHierarchy("legacy-bridge"));
    assertEquals(1, attempts("DeleteHierarchy"));
    failures = 0;
    assertEquals(5, client(via).hierarchies().size(), "nothing was created or deleted");
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void writesAreRetriedWithTheirRequestId(Via via) {
    failures = 2;
    assertTrue(client(via).function("0000:01:00.0").writeWord(4, 0));
    assertEquals(3, attempts("Write"), "IdempotentRetryTest shows the server applies it once");
    reset();
    failures = 100;
    expect(Status.Code.UNAVAILABLE, () -> client(via).function("0000:01:00.0").writeWord(4, 0));
    assertEquals(PcieFarmClient.MAX_ATTEMPTS, attempts("Write"));
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void leaseCallsAreRetried(Via via) {
    failures = 1;
    io.pciefarm.proto.v1.Lease l = client(via).acquireLease(
        io.pciefarm.proto.v1.AcquireRequest.newBuilder().setHierarchy("storage-switch")
            .addFunctions("0001:05:00.0").build());
    assertEquals(2, attempts("Acquire"), "safe: the client set a request id");
    client(via).renewLease(l.getId(), null);
    assertEquals(2, attempts("Renew"));
    client(via).leases(null);
    assertEquals(2, attempts("ListLeases"));
    assertTrue(client(via).releaseLease(l.getId()));
    assertEquals(2, attempts("Release"));
  }
}
