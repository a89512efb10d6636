package io.pciefarm.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.PreconditionFailure;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.pciefarm.ownership.LeaseException;
import io.pciefarm.proto.v1.WriteRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Once per (tenant, rpc, request id): results and refusals replayed, transient ones not. */
class IdempotentCallsTest {
  private final AtomicLong now = new AtomicLong();
  private final IdempotentCalls calls = new IdempotentCalls(1000, Duration.ofMinutes(10),
      now::get);
  private final AtomicInteger runs = new AtomicInteger();
  private static final Caller ALICE = new Caller("alice", false);
  private static final Caller BOB = new Caller("bob", false);

  private Supplier<CompletableFuture<String>> counting(String result) {
    return () -> CompletableFuture.completedFuture(result + runs.incrementAndGet());
  }

  private static Status.Code code(CompletableFuture<?> f) {
    ExecutionException e = assertThrows(ExecutionException.class, f::get);
    return Statuses.toStatus(e.getCause()).getStatus().getCode();
  }

  @Test
  void aRepeatedIdRunsOnceAndReplaysTheFirstResult() throws Exception {
    assertEquals("w1", calls.once(ALICE, "rpc", "id-1", counting("w")).get());
    assertEquals("w1", calls.once(ALICE, "rpc", "id-1", counting("w")).get());
    assertEquals(1, runs.get());
    assertEquals("w2", calls.once(ALICE, "rpc", "id-2", counting("w")).get(), "another id");
    assertEquals("w3", calls.once(BOB, "rpc", "id-1", counting("w")).get(), "another tenant");
    assertEquals("w4", calls.once(ALICE, "other", "id-1", counting("w")).get(), "another rpc");
    assertEquals("w5", calls.once(ALICE, "rpc", "", counting("w")).get(), "no id: no memory");
    assertEquals("w6", calls.once(ALICE, "rpc", null, counting("w")).get());
    assertEquals(4, calls.size());
  }

  @Test
  void aReplayCanBeMarked() throws Exception {
    assertEquals("r1", calls.once(ALICE, "rpc", "id", null, counting("r"), v -> v + "!").get());
    assertEquals("r1!", calls.once(ALICE, "rpc", "id", null, counting("r"), v -> v + "!").get());
  }

  @Test
  void protobufRequestsAndResultsAreRememberedAsTheirBytesAndComeBackEqual() throws Exception {
    WriteRequest req = WriteRequest.newBuilder().setAddress("0001:03:00.0").setOffset(0x3c)
        .setWidth(io.pciefarm.proto.v1.Width.WIDTH_BYTE).setValue(7).setRequestId("id")
        .build();
    WriteRequest result = req.toBuilder().setValue(9).build(); // any message will do
    CompletableFuture<WriteRequest> first = calls.once(ALICE, "rpc", "id", req, () -> {
      runs.incrementAndGet();
      return CompletableFuture.completedFuture(result);
    }, null);
    assertSame(result, first.get(), "the first caller gets the work's own object");
    WriteRequest replay = calls.once(ALICE, "rpc", "id", req.toBuilder().build(),
        () -> CompletableFuture.<WriteRequest>completedFuture(null), null).get();
    assertEquals(result, replay, "an equal message, parsed back from the remembered bytes");
    assertEquals(1, runs.get());
    assertEquals(Status.Code.INVALID_ARGUMENT, code(calls.once(ALICE, "rpc", "id",
        req.toBuilder().setValue(8).build(),
        () -> CompletableFuture.<WriteRequest>completedFuture(null), null)), "a different request with the same id, compared as bytes");
  }

  @Test
  void cancellingTheFirstCallersFutureDoesNotCancelTheWork() throws Exception {
    CompletableFuture<String> work = new CompletableFuture<>();
    CompletableFuture<String> first = calls.once(ALICE, "rpc", "id", () -> work);
    first.cancel(false);
    assertFalse(work.isCancelled());
    work.complete("done");
    assertEquals("done", calls.once(ALICE, "rpc", "id", counting("never")).get());
  }

  @Test
  void concurrentDuplicatesJoinTheFirstWithoutRunning() throws Exception {
    CompletableFuture<String> slow = new CompletableFuture<>();
    CompletableFuture<String> first = calls.once(ALICE, "rpc", "id", () -> {
      runs.incrementAndGet();
      return slow;
    });
    CompletableFuture<String> second = calls.once(ALICE, "rpc", "id", counting("never"));
    assertFalse(first.isDone());
    assertFalse(second.isDone(), "waits for the first, without blocking");
    slow.complete("done");
    assertEquals("done", first.get());
    assertEquals("done", second.get());
    assertEquals(1, runs.get());
  }

  @Test
  void refusalsAreReplayedWithTheirDetails() throws Exception {
    Supplier<CompletableFuture<String>> refused = () -> {
      runs.incrementAndGet();
      throw new LeaseException(LeaseException.Kind.UNAVAILABLE_GROUP, "taken",
          List.of("0000:01:00.0 (lease x (bob))"));
    };
    for (int i = 0; i < 3; i++) {
      CompletableFuture<String> f = calls.once(ALICE, "rpc", "id", refused);
      ExecutionException e = assertThrows(ExecutionException.class, f::get);
      StatusRuntimeException s = Statuses.toStatus(e.getCause());
      assertEquals(Status.Code.FAILED_PRECONDITION, s.getStatus().getCode());
      PreconditionFailure p = StatusProto.fromThrowable(s).getDetails(0)
          .unpack(PreconditionFailure.class);
      assertEquals("0000:01:00.0", p.getViolations(0).getSubject());
    }
    assertEquals(1, runs.get(), "refused once, replayed twice");
  }

  @Test
  void outcomesThatMeanNothingWasDoneAreForgotten() throws Exception {
    for (Status.Code transientCode : List.of(Status.Code.UNAVAILABLE, Status.Code.ABORTED,
        Status.Code.RESOURCE_EXHAUSTED, Status.Code.DEADLINE_EXCEEDED, Status.Code.CANCELLED)) {
      String id = "id-" + transientCode;
      assertEquals(transientCode, code(calls.once(ALICE, "rpc", id,
          () -> CompletableFuture.failedFuture(Status.fromCode(transientCode)
              .asRuntimeException()))));
      assertEquals("ok1", calls.once(ALICE, "rpc", id, counting("ok")).get(),
          transientCode + " is retried, not replayed");
      runs.set(0);
    }
  }

  @Test
  void aJoinerOfACancelledFirstAttemptIsToldToRetry() {
    CompletableFuture<String> slow = new CompletableFuture<>();
    CompletableFuture<String> first = calls.once(ALICE, "rpc", "id", () -> slow);
    CompletableFuture<String> joiner = calls.once(ALICE, "rpc", "id", counting("x"));
    slow.completeExceptionally(Status.CANCELLED.asRuntimeException());
    assertEquals(Status.Code.CANCELLED, code(first));
    assertEquals(Status.Code.UNAVAILABLE, code(joiner));
  }

  @Test
  void aCallerGivingUpDoesNotCancelTheWorkWhoseOutcomeARetryGets() throws Exception {
    CompletableFuture<String> work = new CompletableFuture<>();
    CompletableFuture<String> first = calls.once(ALICE, "rpc", "id", () -> work);
    first.cancel(false); // the client's deadline passed
    assertFalse(work.isDone(), "the work goes on");
    work.complete("reset done");
    assertEquals("reset done", calls.once(ALICE, "rpc", "id", counting("again")).get());
    assertEquals(0, runs.get());
  }

  @Test
  void aReusedIdWithADifferentRequestIsInvalid() throws Exception {
    WriteRequest a = WriteRequest.newBuilder().setAddress("00:01.0").setValue(1)
        .setRequestId("id").build();
    WriteRequest b = a.toBuilder().setValue(2).build();
    assertEquals("w1", calls.once(ALICE, "rpc", "id", a, counting("w"), null).get());
    assertEquals("w1", calls.once(ALICE, "rpc", "id", a.toBuilder().build(), counting("w"),
        null).get());
    assertEquals(Status.Code.INVALID_ARGUMENT,
        code(calls.once(ALICE, "rpc", "id", b, counting("w"), null)));
    assertEquals(1, runs.get());
  }

  @Test
  void anOverlongIdIsInvalid() {
    assertEquals(Status.Code.INVALID_ARGUMENT, code(calls.once(ALICE, "rpc",
        "x".repeat(IdempotentCalls.MAX_REQUEST_ID_LENGTH + 1), counting("w"))));
    assertEquals(0, runs.get());
  }

  @Test
  void outcomesExpire() throws Exception {
    assertEquals("w1", calls.once(ALICE, "rpc", "id", counting("w")).get());
    now.addAndGet(Duration.ofMinutes(9).toNanos());
    assertEquals("w1", calls.once(ALICE, "rpc", "id", counting("w")).get());
    now.addAndGet(Duration.ofMinutes(2).toNanos());
    assertEquals("w2", calls.once(ALICE, "rpc", "id", counting("w")).get(),
        "forgotten 10 minutes after the first call");
  }

  @Test
  void memoryIsBounded() throws Exception {
    IdempotentCalls small = new IdempotentCalls(10, Duration.ofMinutes(10), now::get);
    for (int i = 0; i < 100; i++) {
      small.once(ALICE, "rpc", "id-" + i, counting("w")).get();
    }
    assertTrue(small.size() <= 10, "size " + small.size());
  }

  @Test
  void aSynchronousThrowIsTheOutcome() {
    CompletableFuture<String> f = calls.once(ALICE, "rpc", "id", () -> {
      throw new IllegalArgumentException("bad");
    });
    assertEquals(Status.Code.INVALID_ARGUMENT, code(f));
    CompletableFuture<String> again = calls.once(ALICE, "rpc", "id", counting("w"));
    assertEquals(Status.Code.INVALID_ARGUMENT, code(again));
    assertSame(0, runs.get());
  }
}
