package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.pciefarm.grpc.PcieFarmServer;
import io.pciefarm.proto.v1.EventFilter;
import io.pciefarm.proto.v1.ResetMethod;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The retry policy for the reset, hot-plug and event services: the reads (ProbeReset,
 * GetResetMethods, ListSlots, GetSlot) are retried on UNAVAILABLE; resets, reset-method writes,
 * slot actions and subscriptions never are. The server fails the first {@code failures}
 * attempts of every call and counts attempts per method.
 */
class ServiceRetryPolicyTest extends LiveServer {
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
  void clear() {
    attempts.clear();
    failures = 0;
  }

  private int attempts(String method) {
    AtomicInteger n = attempts.get(method);
    return n == null ? 0 : n.get();
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void readsAreRetried(Via via) {
    failures = 2;
    PcieFarmClient c = client(via);
    assertEquals(ResetMethod.RESET_METHOD_DEVICE_SPECIFIC,
        c.probeReset(ResetSpec.function("0001:03:00.0")).getMethod());
    assertEquals(3, attempts("ProbeReset"));
    c.resetMethods(Address.parse("0001:03:00.0"));
    assertEquals(3, attempts("GetResetMethods"));
    assertEquals(4, c.slots("storage-switch").size());
    assertEquals(3, attempts("ListSlots"));
    c.slot("storage-switch", 4).state();
    assertEquals(3, attempts("GetSlot"));
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void changesAndStreamsAreNeverRetried(Via via) {
    failures = 1;
    PcieFarmClient c = client(via);
    SlotHandle empty = c.slot("storage-switch", 4);
    for (Runnable call : List.<Runnable>of(
        () -> c.reset(ResetSpec.function("0001:03:00.0")),
        () -> c.resetAsync(ResetSpec.function("0001:03:00.0")).join(),
        () -> c.setResetMethods(Address.parse("0001:03:00.0"), List.of()),
        () -> empty.insert("nvme-ssd"),
        empty::remove,
        empty::pressAttentionButton,
        empty::openMrl,
        empty::injectPowerFault,
        () -> c.subscribe(EventFilter.getDefaultInstance(), 0, e -> { }))) {
      attempts.clear();
      PcieFarmException e = expect(Status.Code.UNAVAILABLE, () -> {
        try {
          call.run();
        } catch (java.util.concurrent.CompletionException ex) {
          throw ex.getCause();
        }
      });
      assertEquals(1, attempts.values().stream().mapToInt(AtomicInteger::get).sum(),
          e.getMessage() + ": " + attempts);
    }
    failures = 0;
    assertEquals(false, c.slot("storage-switch", 4).state().getCardPresent(), "nothing done");
  }
}
