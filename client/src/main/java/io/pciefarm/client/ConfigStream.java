package io.pciefarm.client;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.pciefarm.proto.v1.AccessBatch;
import io.pciefarm.proto.v1.AccessBatchResult;
import io.pciefarm.proto.v1.ConfigServiceGrpc;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * One ConfigService.Batch stream: batches go out in order and their results come back in the
 * same order. At most {@code window} batches are in flight; {@link #submit} waits for room, so
 * neither side buffers without bound.
 *
 * <p>Not thread-safe: one thread submits. Results complete on a gRPC thread.
 */
public final class ConfigStream implements AutoCloseable {
  private final Semaphore room;
  private final int window;
  private final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
  private final ClientCallStreamObserver<AccessBatch> requests;
  private volatile PcieFarmException failure;
  private volatile boolean ended;
  private long nextId = 1;

  private record Pending(long id, CompletableFuture<BatchResult> future) {}

  ConfigStream(ConfigServiceGrpc.ConfigServiceStub stub, int window) {
    if (window < 1) {
      throw new IllegalArgumentException("window must be at least 1, not " + window);
    }
    this.window = window;
    this.room = new Semaphore(window);
    Responses responses = new Responses();
    stub.batch(responses);
    this.requests = responses.requests;
  }

  /**
   * Sends {@code batch}; waits while {@code window} batches are unanswered.
   *
   * @return completes with the result, or exceptionally with a {@link PcieFarmException} when
   *     the stream fails (e.g. RESOURCE_EXHAUSTED for a batch over the server's limit)
   */
  public CompletableFuture<BatchResult> submit(Batch batch) {
    CompletableFuture<BatchResult> future = new CompletableFuture<>();
    try {
      while (!room.tryAcquire(100, TimeUnit.MILLISECONDS)) {
        if (failure != null || ended) {
          break;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      future.completeExceptionally(e);
      return future;
    }
    if (failure != null) {
      future.completeExceptionally(failure);
      return future;
    }
    if (ended) {
      future.completeExceptionally(new IllegalStateException("the stream is closed"));
      return future;
    }
    long id = nextId++;
    pending.add(new Pending(id, future));
    requests.onNext(AccessBatch.newBuilder().setId(id).addAllAccesses(batch.accesses()).build());
    return future;
  }

  /**
   * Sends {@code batch} and waits for its result.
   *
   * @throws PcieFarmException when the stream fails
   */
  public BatchResult execute(Batch batch) {
    try {
      return submit(batch).join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }

  /** Half-closes the stream and waits (up to 30 s) for the results still due. */
  @Override
  public void close() {
    if (ended) {
      return;
    }
    ended = true;
    if (failure == null) {
      requests.onCompleted();
    }
    try {
      if (!room.tryAcquire(window, 30, TimeUnit.SECONDS)) {
        requests.cancel("closed with results outstanding", null);
      }
    } catch (InterruptedException e) {
      requests.cancel("interrupted while closing", e);
      Thread.currentThread().interrupt();
    }
  }

  /** Cancels the stream at once; unanswered batches fail. */
  public void cancel() {
    if (failure == null) {
      failure = new PcieFarmException(Status.Code.CANCELLED, "the stream was cancelled", null,
          null);
    }
    ended = true;
    requests.cancel("cancelled by the client", null);
  }

  private final class Responses
      implements ClientResponseObserver<AccessBatch, AccessBatchResult> {
    ClientCallStreamObserver<AccessBatch> requests;

    @Override
    public void beforeStart(ClientCallStreamObserver<AccessBatch> requestStream) {
      this.requests = requestStream;
    }

    @Override
    public void onNext(AccessBatchResult result) {
      Pending p = pending.poll();
      if (p == null) {
        return; // the server answered a batch we did not send: nothing waits for it
      }
      room.release();
      if (p.id() != result.getId()) {
        p.future().completeExceptionally(new PcieFarmException(Status.Code.INTERNAL,
            "the server answered batch " + result.getId() + " where batch " + p.id()
                + " was due", null, null));
        return;
      }
      p.future().complete(new BatchResult(result));
    }

    @Override
    public void onError(Throwable t) {
      PcieFarmException e = t instanceof StatusRuntimeException s
          ? PcieFarmException.of(s, "batch stream")
          : new PcieFarmException(Status.Code.UNKNOWN, String.valueOf(t), null, t);
      failure = e;
      failAll(e);
    }

    @Override
    public void onCompleted() {
      ended = true;
      failAll(new PcieFarmException(Status.Code.INTERNAL,
          "the server ended the stream before answering every batch", null, null));
    }

    private void failAll(PcieFarmException e) {
      for (Pending p; (p = pending.poll()) != null; ) {
        p.future().completeExceptionally(e);
        room.release();
      }
      room.release(window); // wake a submitter waiting for room: it sees the failure
    }
  }
}
