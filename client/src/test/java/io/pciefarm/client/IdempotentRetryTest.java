package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.pciefarm.grpc.PcieFarmServer;
import io.pciefarm.spec.Header;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A write whose answer is lost after the server applied it, retried with the same request id:
 * it must be applied once. The server's answer to the first attempt is replaced by UNAVAILABLE,
 * and just before that "hardware" sets the RW1C status bit the write cleared once more: a
 * second application would clear it again.
 */
class IdempotentRetryTest extends LiveServer {
  private static final int BIT = Header.STATUS_REC_TARGET_ABORT; // RW1C

  private final AtomicInteger attempts = new AtomicInteger();
  private volatile int answersToLose;
  private volatile Runnable hardware = () -> {};

  @Override
  protected PcieFarmServer.Builder configure(PcieFarmServer.Builder b) {
    return b.intercept(new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        if (!call.getMethodDescriptor().getBareMethodName().equals("Write")) {
          return next.startCall(call, headers);
        }
        boolean lose = attempts.incrementAndGet() <= answersToLose;
        return next.startCall(!lose ? call : new ForwardingServerCall.SimpleForwardingServerCall<>(
            call) {
          @Override
          public void sendMessage(R message) {
            // lost on the way back
          }

          @Override
          public void close(Status status, Metadata trailers) {
            hardware.run();
            super.close(Status.UNAVAILABLE.withDescription("injected: the answer was lost"),
                new Metadata());
          }
        }, headers);
      }
    });
  }

  @BeforeEach
  void reset() {
    attempts.set(0);
    answersToLose = 0;
    hardware = () -> {};
  }

  private PciFunction engine(String address) {
    PciAddress a = PciAddress.parse(address);
    return server.farm().bySegment(a.segment()).lookup(a);
  }

  private static String nvme(Via via) {
    return via == Via.TCP ? "0001:03:00.0" : "0001:04:00.0";
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void aRetriedRw1cWriteIsAppliedOnce(Via via) {
    PciFunction f = engine(nvme(via));
    f.config().hardwareUpdate(Header.STATUS, 2, 0, BIT);
    hardware = () -> f.config().hardwareUpdate(Header.STATUS, 2, 0, BIT);
    answersToLose = 1;
    FunctionHandle h = client(via).function(nvme(via));
    assertTrue(h.writeWord(Header.STATUS, BIT), "the retry's answer: the first outcome");
    assertEquals(2, attempts.get(), "one attempt lost, one retry");
    assertEquals(BIT, f.config().read(Header.STATUS, 2) & BIT,
        "the retry was not applied: the bit hardware set again is still set");
    // A new write (a new id) clears it.
    answersToLose = 0;
    assertTrue(h.writeWord(Header.STATUS, BIT));
    assertEquals(0, f.config().read(Header.STATUS, 2) & BIT);
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void aRepeatWithTheSameIdIsAnsweredFromMemory(Via via) {
    PciFunction f = engine(nvme(via));
    Address a = Address.parse(nvme(via));
    String id = PcieFarmClient.newRequestId();
    f.config().hardwareUpdate(Header.STATUS, 2, 0, BIT);
    assertTrue(client(via).write(a, Header.STATUS, 2, BIT, id));
    assertEquals(0, f.config().read(Header.STATUS, 2) & BIT);
    f.config().hardwareUpdate(Header.STATUS, 2, 0, BIT);
    assertTrue(client(via).write(a, Header.STATUS, 2, BIT, id));
    assertEquals(BIT, f.config().read(Header.STATUS, 2) & BIT, "not written again");
    PcieFarmException reused = expect(Status.Code.INVALID_ARGUMENT,
        () -> client(via).write(a, Header.STATUS, 2, 0, id));
    assertEquals(java.util.List.of("request_id"), reused.badFields());
    assertTrue(client(via).write(a, Header.STATUS, 2, BIT, PcieFarmClient.newRequestId()));
    assertEquals(0, f.config().read(Header.STATUS, 2) & BIT);
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void withoutARequestIdAWriteIsNeverRetried(Via via) {
    PciFunction f = engine(nvme(via));
    f.config().hardwareUpdate(Header.STATUS, 2, 0, BIT);
    answersToLose = 1;
    expect(Status.Code.UNAVAILABLE, () -> client(via).write(Address.parse(nvme(via)),
        Header.STATUS, 2, BIT, null));
    assertEquals(1, attempts.get());
    assertEquals(0, f.config().read(Header.STATUS, 2) & BIT, "applied, answer lost");
  }
}
