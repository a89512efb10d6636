package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.pciefarm.grpc.PcieFarmServer;
import io.pciefarm.spec.Header;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Config access never leaves the event loop: the thread that answers a Read, a Write or a batch
 * is the Netty event loop that received it ({@code pciefarm-io-*}), not a worker. A farm call
 * (ListHierarchies) is the contrast: it answers from the worker pool ({@code pciefarm-farm-*}).
 * An interceptor records the thread each answer is sent from.
 */
class ThreadingTest extends LiveServer {
  private static final String NVME = "0001:03:00.0";

  /** Method name to the threads its answers were sent from. */
  private final Map<String, List<String>> threads = new ConcurrentHashMap<>();

  @Override
  protected PcieFarmServer.Builder configure(PcieFarmServer.Builder b) {
    return b.intercept(new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        List<String> seen = threads.computeIfAbsent(
            call.getMethodDescriptor().getBareMethodName(), k -> new CopyOnWriteArrayList<>());
        return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void sendMessage(R message) {
            seen.add(Thread.currentThread().getName());
            super.sendMessage(message);
          }
        }, headers);
      }
    });
  }

  @BeforeEach
  void forget() {
    threads.clear();
  }

  private List<String> threadsOf(String method) {
    return threads.getOrDefault(method, List.of());
  }

  private static void allOnEventLoops(String method, List<String> names) {
    assertFalse(names.isEmpty(), method + " answered nothing");
    for (String n : names) {
      assertTrue(n.startsWith("pciefarm-io-"), method + " answered from " + n
          + ", not from an event loop");
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void configAccessIsAnsweredOnTheEventLoop(Via via) {
    PcieFarmClient c = client(via);
    FunctionHandle f = c.function(NVME);
    int command = f.readWord(Header.COMMAND);
    assertTrue(f.writeWord(Header.COMMAND, command));
    try (ConfigStream s = c.openStream()) {
      Batch b = new Batch();
      for (int i = 0; i < 64; i++) {
        b.read(f.address(), i * 4, 4);
      }
      b.write(f.address(), Header.COMMAND, 2, command);
      for (int i = 0; i < 4; i++) {
        assertTrue(s.execute(b).ok());
      }
    }
    allOnEventLoops("Read", threadsOf("Read"));
    allOnEventLoops("Write", threadsOf("Write"));
    allOnEventLoops("Batch", threadsOf("Batch"));
    assertEquals(4, threadsOf("Batch").size(), "one result per batch");

    c.hierarchies();
    List<String> farm = threadsOf("ListHierarchies");
    assertEquals(1, farm.size());
    assertTrue(farm.get(0).startsWith("pciefarm-farm-"), "a farm call runs on a worker, not "
        + farm.get(0) + ": the recording tells the two apart");
  }
}
