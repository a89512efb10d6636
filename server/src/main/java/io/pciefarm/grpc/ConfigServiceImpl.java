package io.pciefarm.grpc;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.pciefarm.config.ConfigAccessException;
import io.pciefarm.farm.Farm;
import io.pciefarm.ownership.Owner;
import io.pciefarm.proto.v1.Access;
import io.pciefarm.proto.v1.AccessBatch;
import io.pciefarm.proto.v1.AccessBatchResult;
import io.pciefarm.proto.v1.AccessError;
import io.pciefarm.proto.v1.ConfigServiceGrpc;
import io.pciefarm.proto.v1.ReadRequest;
import io.pciefarm.proto.v1.ReadResponse;
import io.pciefarm.proto.v1.WriteRequest;
import io.pciefarm.proto.v1.WriteResponse;
import io.pciefarm.topology.ConfigRetryException;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Config access. Runs on the connection's Netty event loop: the engine's reads and writes are
 * lock-free and never block, so there is nothing a thread pool would add but latency.
 *
 * <p>Ownership: a write reaches a function only when {@link Caller#mayModify} its owner (one
 * volatile read and a string comparison, no allocation unless refused); otherwise the write is
 * PERMISSION_DENIED, per access in a batch. Reads are never checked. A unary write with a
 * request_id goes through {@link IdempotentCalls}.
 */
final class ConfigServiceImpl extends ConfigServiceGrpc.ConfigServiceImplBase {
  private static final String WRITE = ConfigServiceGrpc.getWriteMethod().getFullMethodName();

  private final Farm farm;
  private final int maxBatchAccesses;
  private final IdempotentCalls idempotent;
  private final Set<BatchStream> open = ConcurrentHashMap.newKeySet();

  ConfigServiceImpl(Farm farm, int maxBatchAccesses, IdempotentCalls idempotent) {
    this.farm = farm;
    this.maxBatchAccesses = maxBatchAccesses;
    this.idempotent = idempotent;
  }

  @Override
  public void read(ReadRequest request, StreamObserver<ReadResponse> out) {
    ReadResponse response;
    try {
      PciAddress a = Requests.address("address", request.getAddress());
      int width = Requests.width("width", request.getWidth(), request.getWidthValue());
      Requests.offset("offset", request.getOffset(), width);
      Hierarchy h = Requests.bySegment(farm, a.segment());
      boolean present = h.lookup(a) != null;
      int value = h.read(a.bus(), a.device(), a.function(), request.getOffset(), width);
      response = ReadResponse.newBuilder().setValue(value).setPresent(present).build();
    } catch (RuntimeException e) {
      out.onError(Statuses.toStatus(e));
      return;
    }
    out.onNext(response);
    out.onCompleted();
  }

  @Override
  public void write(WriteRequest request, StreamObserver<WriteResponse> out) {
    Caller caller = Caller.current();
    if (!request.getRequestId().isEmpty()) {
      IdempotentCalls.reply(idempotent.once(caller, WRITE, request.getRequestId(), request,
          () -> CompletableFuture.completedFuture(write(request, caller)), null), out);
      return;
    }
    WriteResponse response;
    try {
      response = write(request, caller);
    } catch (RuntimeException e) {
      out.onError(Statuses.toStatus(e));
      return;
    }
    out.onNext(response);
    out.onCompleted();
  }

  private WriteResponse write(WriteRequest request, Caller caller) {
    PciAddress a = Requests.address("address", request.getAddress());
    int width = Requests.width("width", request.getWidth(), request.getWidthValue());
    Requests.offset("offset", request.getOffset(), width);
    Requests.fits("value", request.getValue(), width);
    Hierarchy h = Requests.bySegment(farm, a.segment());
    PciFunction f = h.lookup(a);
    if (f != null) {
      mayWrite(caller, f);
    }
    h.write(a.bus(), a.device(), a.function(), request.getOffset(), width, request.getValue());
    return WriteResponse.newBuilder().setPresent(f != null).build();
  }

  /**
   * Refuses a write to a function the caller may not modify. The success path reads one
   * volatile and compares strings: nothing is allocated.
   */
  private static void mayWrite(Caller caller, PciFunction f) {
    Owner owner = f.owner();
    if (!caller.mayModify(owner)) {
      throw denied(caller, f, owner);
    }
  }

  private static RequestException denied(Caller caller, PciFunction f, Owner owner) {
    return new RequestException(Status.Code.PERMISSION_DENIED, "", owner.isHost()
        ? f.describe() + " is in the host's pool: only an administrator may write to it;"
            + " tenant '" + caller.tenant() + "' must lease its isolation group first"
        : owner.isReleased()
        ? f.describe() + " is being reset after lease " + owner.id() + " ended: nobody may"
            + " write to it until it is back in the host's pool"
        : f.describe() + " is held by " + owner + ": only that lease's tenant may write to it,"
            + " not '" + caller.tenant() + "'");
  }

  @Override
  public StreamObserver<AccessBatch> batch(StreamObserver<AccessBatchResult> responses) {
    ServerCallStreamObserver<AccessBatchResult> out =
        (ServerCallStreamObserver<AccessBatchResult>) responses;
    BatchStream stream = new BatchStream(out);
    // Pull one batch at a time: the next is requested only once the previous result could go
    // out, so a client that does not read results is held back by HTTP/2 flow control instead
    // of growing a queue here.
    out.disableAutoRequest();
    out.setOnReadyHandler(stream::onReady);
    out.setOnCancelHandler(stream::cancelled);
    out.setOnCloseHandler(stream::closed);
    open.add(stream);
    out.request(1);
    return stream;
  }

  /** Ends every open batch stream with UNAVAILABLE after the batch it is executing, if any. */
  void closeStreamsForShutdown() {
    for (BatchStream s : open) {
      s.shutdown();
    }
  }

  int openStreams() {
    return open.size();
  }

  /**
   * One Batch call. Every method is synchronized: gRPC calls it on the event loop, shutdown from
   * another thread, and a call's observer must never be used by two threads at once. The lock is
   * uncontended except during shutdown.
   */
  private final class BatchStream implements StreamObserver<AccessBatch> {
    private final ServerCallStreamObserver<AccessBatchResult> out;
    /** Whose writes these are: fixed for the stream, read once at its start. */
    private final Caller caller = Caller.current();
    private boolean done;
    private boolean wantMore;

    BatchStream(ServerCallStreamObserver<AccessBatchResult> out) {
      this.out = out;
    }

    @Override
    public synchronized void onNext(AccessBatch batch) {
      if (done) {
        return;
      }
      if (batch.getAccessesCount() > maxBatchAccesses) {
        finish(Statuses.resourceExhausted(String.format(
            "batch %d has %d accesses; the limit is %d per batch: split it", batch.getId(),
            batch.getAccessesCount(), maxBatchAccesses)));
        return;
      }
      out.onNext(execute(batch, caller));
      if (out.isReady()) {
        out.request(1);
      } else {
        wantMore = true; // onReady asks for the next batch once the result has drained
      }
    }

    synchronized void onReady() {
      if (wantMore && !done) {
        wantMore = false;
        out.request(1);
      }
    }

    @Override
    public synchronized void onError(Throwable t) {
      done = true; // the client cancelled or the connection broke
      open.remove(this);
    }

    @Override
    public synchronized void onCompleted() {
      if (!done) {
        done = true;
        open.remove(this);
        out.onCompleted();
      }
    }

    synchronized void cancelled() {
      done = true;
      open.remove(this);
    }

    void closed() {
      open.remove(this);
    }

    synchronized void shutdown() {
      finish(Status.UNAVAILABLE.withDescription("the server is shutting down; every batch it"
          + " took has been answered: reconnect and send the rest").asRuntimeException());
    }

    private void finish(Throwable status) {
      if (!done) {
        done = true;
        open.remove(this);
        out.onError(status);
      }
    }
  }

  /** Executes one batch, access by access; a failing access gets an error entry. */
  private AccessBatchResult execute(AccessBatch batch, Caller caller) {
    int n = batch.getAccessesCount();
    AccessBatchResult.Builder r = AccessBatchResult.newBuilder().setId(batch.getId());
    for (int i = 0; i < n; i++) {
      Access a = batch.getAccesses(i);
      int value = 0;
      try {
        value = access(a, caller);
      } catch (RequestException e) {
        r.addErrors(error(i, e.code().value(), e.getMessage()));
      } catch (ConfigAccessException e) {
        r.addErrors(error(i, Status.Code.INVALID_ARGUMENT.value(), e.getMessage()));
      } catch (IllegalArgumentException e) {
        r.addErrors(error(i, Status.Code.INVALID_ARGUMENT.value(), e.getMessage()));
      } catch (ConfigRetryException e) {
        r.addErrors(error(i, Status.Code.UNAVAILABLE.value(), e.getMessage()));
      }
      r.addValues(value);
    }
    return r.build();
  }

  private int access(Access a, Caller caller) {
    int packed = a.getAddress();
    int width = a.getWidthValue();
    if (width != 1 && width != 2 && width != 4) {
      throw RequestException.invalid("width", "width " + width
          + " is not WIDTH_BYTE (1), WIDTH_WORD (2) or WIDTH_DWORD (4)");
    }
    int segment = packed >>> 16;
    Hierarchy h = farm.bySegment(segment);
    if (h == null) {
      throw RequestException.notFound(Requests.noSegment(farm, segment));
    }
    Requests.offset("offset", a.getOffset(), width);
    int bus = (packed >>> 8) & 0xFF;
    int devfn = packed & 0xFF;
    switch (a.getOpValue()) {
      case 0 -> {
        return h.read(bus, devfn >>> 3, devfn & 7, a.getOffset(), width);
      }
      case 1 -> {
        Requests.fits("value", a.getValue(), width);
        PciFunction f = h.lookup(bus, devfn);
        if (f != null) {
          mayWrite(caller, f);
        }
        h.write(bus, devfn >>> 3, devfn & 7, a.getOffset(), width, a.getValue());
        return 0;
      }
      default -> throw RequestException.invalid("op", "op " + a.getOpValue()
          + " is not ACCESS_OP_READ (0) or ACCESS_OP_WRITE (1)");
    }
  }

  private static AccessError error(int index, int code, String message) {
    return AccessError.newBuilder().setIndex(index).setCode(code).setMessage(message).build();
  }
}
