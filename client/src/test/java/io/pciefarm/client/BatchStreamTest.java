package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.pciefarm.proto.v1.Access;
import io.pciefarm.proto.v1.AccessBatch;
import io.pciefarm.proto.v1.AccessBatchResult;
import io.pciefarm.proto.v1.AccessError;
import io.pciefarm.proto.v1.ConfigServiceGrpc;
import io.pciefarm.proto.v1.Width;
import io.pciefarm.topology.PciFunction;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** ConfigService.Batch end to end: per-access results, limits, ordering and flow control. */
class BatchStreamTest extends LiveServer {
  private static final Address NVME = Address.parse("0001:03:00.0");
  private static final Address GPU = Address.parse("0000:01:00.0");

  private PciFunction engine(Address a) {
    return server.farm().bySegment(a.segment()).lookup(a.bus(), a.devfn());
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void eachAccessIsAnsweredInOrderAndFailuresStayLocal(Via via) {
    int commandBefore = engine(GPU).config().read(4, 2);
    try (ConfigStream s = client(via).openStream()) {
      Batch b = new Batch();
      int ids = b.read(NVME, 0, 4);
      int misaligned = b.read(NVME, 2, 4);
      int badWidth = b.raw(Access.newBuilder().setAddress(NVME.packed()).setWidthValue(3).build());
      int noSegment = b.read(Address.parse("0777:00:00.0"), 0, 4);
      int badOp = b.raw(Access.newBuilder().setAddress(NVME.packed()).setWidth(Width.WIDTH_BYTE)
          .setOpValue(7).build());
      int tooBig = b.raw(Access.newBuilder().setAddress(GPU.packed()).setWidth(Width.WIDTH_BYTE)
          .setOpValue(1).setValue(0x100).setOffset(4).build());
      int write = b.write(GPU, 4, 2, 0x0006);
      int readBack = b.read(GPU, 4, 2);
      int empty = b.read(Address.parse("0001:00:1f.0"), 0, 2);
      int outOfRange = b.read(NVME, 0x1000, 1);
      BatchResult r = s.execute(b);

      assertEquals(10, r.size());
      assertEquals(engine(NVME).config().read(0, 4), r.value(ids));
      assertEquals(0x0006, r.value(readBack) & 0x0006, "the write before it took effect");
      assertEquals(0, r.value(write));
      assertEquals(0xffff, r.value(empty));
      assertEquals(List.of(misaligned, badWidth, noSegment, badOp, tooBig, outOfRange),
          r.errors().stream().map(AccessError::getIndex).toList());
      assertEquals(Status.Code.INVALID_ARGUMENT.value(), r.error(misaligned).getCode());
      assertTrue(r.error(misaligned).getMessage().contains("0x2"));
      assertTrue(r.error(badWidth).getMessage().contains("width 3"));
      assertEquals(Status.Code.NOT_FOUND.value(), r.error(noSegment).getCode());
      assertTrue(r.error(noSegment).getMessage().contains("0777"));
      assertTrue(r.error(badOp).getMessage().contains("op 7"));
      assertTrue(r.error(tooBig).getMessage().contains("0x100"));
      assertTrue(r.error(outOfRange).getMessage().contains("0x1000"));
      assertNull(r.error(ids));
      expect(Status.Code.INVALID_ARGUMENT, () -> r.value(misaligned));
    } finally {
      engine(GPU).config().write(4, 2, commandBefore);
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void anEmptyBatchGetsAnEmptyResult(Via via) {
    try (ConfigStream s = client(via).openStream()) {
      BatchResult r = s.execute(new Batch());
      assertEquals(0, r.size());
      assertTrue(r.ok());
      assertEquals(1, r.id());
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void aBatchOverTheLimitIsResourceExhaustedNamingTheLimit(Via via) {
    Batch b = new Batch();
    for (int i = 0; i < 4097; i++) {
      b.read(NVME, 0, 4);
    }
    try (ConfigStream s = client(via).openStream()) {
      PcieFarmException e = expect(Status.Code.RESOURCE_EXHAUSTED, () -> s.execute(b));
      assertTrue(e.getMessage().contains("4097") && e.getMessage().contains("4096"),
          e.getMessage());
      // The stream is over: later batches fail the same way instead of hanging.
      expect(Status.Code.RESOURCE_EXHAUSTED, () -> s.execute(new Batch()));
    }
    // Exactly at the limit is fine, on a new stream.
    Batch atLimit = new Batch();
    for (int i = 0; i < 4096; i++) {
      atLimit.read(NVME, (i % 1024) * 4, 4);
    }
    try (ConfigStream s = client(via).openStream()) {
      BatchResult r = s.execute(atLimit);
      assertTrue(r.ok());
      assertEquals(engine(NVME).config().read(0x40, 4), r.value(0x10));
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void pipelinedBatchesComeBackInOrder(Via via) {
    PciFunction nvme = engine(NVME);
    try (ConfigStream s = client(via).openStream(16)) {
      List<CompletableFuture<BatchResult>> futures = new ArrayList<>();
      for (int n = 0; n < 300; n++) {
        Batch b = new Batch();
        for (int i = 0; i < 256; i++) {
          b.read(NVME, ((n + i) % 1024) * 4, 4);
        }
        futures.add(s.submit(b));
      }
      for (int n = 0; n < futures.size(); n++) {
        BatchResult r = futures.get(n).join();
        assertEquals(n + 1, r.id());
        for (int i = 0; i < 256; i += 51) {
          assertEquals(nvme.config().read(((n + i) % 1024) * 4, 4), r.value(i));
        }
      }
    }
  }

  /**
   * A client that sends and never reads: the server must stop taking batches once it cannot
   * send their results, so the client ends up blocked by flow control long before it has sent
   * everything. Without that the server would execute and buffer all of them.
   */
  @ParameterizedTest
  @EnumSource(Via.class)
  void aClientThatDoesNotReadIsHeldBackByFlowControl(Via via) throws Exception {
    AccessBatch.Builder big = AccessBatch.newBuilder();
    for (int i = 0; i < 4096; i++) {
      big.addAccesses(Access.newBuilder().setAddress(NVME.packed()).setOffset((i % 1024) * 4)
          .setWidth(Width.WIDTH_DWORD));
    }
    Semaphore ready = new Semaphore(0);
    CountDownLatch finished = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Long> ids = new ArrayList<>();
    AtomicReference<ClientCallStreamObserver<AccessBatch>> requests = new AtomicReference<>();
    ConfigServiceGrpc.newStub(client(via).channel()).batch(
        new ClientResponseObserver<AccessBatch, AccessBatchResult>() {
          @Override
          public void beforeStart(ClientCallStreamObserver<AccessBatch> r) {
            requests.set(r);
            r.disableAutoRequestWithInitial(0); // read no results until told to
            r.setOnReadyHandler(ready::release);
          }

          @Override
          public void onNext(AccessBatchResult result) {
            synchronized (ids) {
              ids.add(result.getId());
            }
          }

          @Override
          public void onError(Throwable t) {
            failure.set(t);
            finished.countDown();
          }

          @Override
          public void onCompleted() {
            finished.countDown();
          }
        });
    ClientCallStreamObserver<AccessBatch> out = requests.get();
    final int attempts = 3000; // 3000 x ~50 KB: far more than any flow-control window
    int sent = 0;
    boolean blocked = false;
    while (sent < attempts) {
      if (out.isReady()) {
        out.onNext(big.setId(sent + 1).build());
        sent++;
      } else if (!ready.tryAcquire(3, TimeUnit.SECONDS)) {
        blocked = true; // not ready, and no sign of becoming ready: held back
        break;
      }
    }
    assertTrue(blocked && sent < attempts, "sent all " + sent + " batches unread");
    assertEquals(1, server.openBatchStreams());

    // Now read: every batch that was sent is answered, in order.
    out.request(Integer.MAX_VALUE);
    out.onCompleted();
    assertTrue(finished.await(60, TimeUnit.SECONDS), "stream did not finish");
    assertNull(failure.get());
    List<Long> expected = new ArrayList<>();
    for (long i = 1; i <= sent; i++) {
      expected.add(i);
    }
    assertEquals(expected, ids);
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void aCancelledStreamIsCleanedUp(Via via) throws Exception {
    ConfigStream s = client(via).openStream();
    Batch b = new Batch();
    b.read(NVME, 0, 4);
    assertEquals(engine(NVME).config().read(0, 4), s.execute(b).value(0));
    assertEquals(1, server.openBatchStreams());
    s.cancel();
    for (int i = 0; i < 200 && server.openBatchStreams() != 0; i++) {
      Thread.sleep(50);
    }
    assertEquals(0, server.openBatchStreams());
    expect(Status.Code.CANCELLED, () -> s.execute(b));
  }
}
