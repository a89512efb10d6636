package io.pciefarm.bench.load;

import io.grpc.CallOptions;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import io.pciefarm.proto.v1.Access;
import io.pciefarm.proto.v1.AccessBatch;
import io.pciefarm.proto.v1.AccessBatchResult;
import io.pciefarm.proto.v1.AccessError;
import io.pciefarm.proto.v1.AccessOp;
import io.pciefarm.proto.v1.ConfigServiceGrpc;
import io.pciefarm.proto.v1.Width;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Batch streams: {@code streams} streams (spread over the connections), each keeping
 * {@code depth} batches of {@code batchSize} accesses in flight. Accesses are dword reads at
 * random offsets of random functions, and Interrupt Line writes for a share of
 * {@code 1 - readFraction}. Sixteen batch templates are built before the run.
 *
 * <p>Wire: {@code proto} encodes every batch with protobuf as it is sent (a new id on a
 * template, as a client library would build it), so the client's encoding cost shares the
 * machine with the server; {@code prebuilt} sends the templates' bytes encoded once, which
 * leaves the server's decoding, execution and result encoding as the work measured. Results
 * are decoded in both (per-access errors are counted by code).
 */
final class ConfigBatch implements Workload {
  static final int TEMPLATES = 16;

  private final Target target;
  private final Options o;
  private final AccessBatch[] templates;
  private final byte[][] encoded;
  private final OpStats stats;
  private final List<Stream> streams = new ArrayList<>();
  private final AtomicLong budget = new AtomicLong(Long.MAX_VALUE);
  private final CountDownLatch finished;
  private final AtomicLong inFlight = new AtomicLong();
  private final MethodDescriptor<Object, AccessBatchResult> method;
  private final int firstChannel;
  private volatile boolean stop;

  ConfigBatch(Target target, FarmMap map, Options o, int streams, int firstChannel,
      Set<Status.Code> expected) {
    this.target = target;
    this.o = o;
    this.firstChannel = firstChannel;
    List<Integer> packed = new ArrayList<>();
    map.hierarchies().forEach(h -> packed.addAll(h.packed()));
    if (packed.isEmpty()) {
      throw new IllegalStateException("the farm has no reachable function to read");
    }
    Random rnd = new Random(7);
    templates = new AccessBatch[TEMPLATES];
    encoded = new byte[TEMPLATES][];
    for (int t = 0; t < TEMPLATES; t++) {
      AccessBatch.Builder b = AccessBatch.newBuilder().setId(t);
      for (int i = 0; i < o.batchSize; i++) {
        int address = packed.get(rnd.nextInt(packed.size()));
        if (rnd.nextDouble() < o.readFraction) {
          b.addAccesses(Access.newBuilder().setAddress(address).setOffset(4 * rnd.nextInt(64))
              .setWidth(Width.WIDTH_DWORD));
        } else {
          b.addAccesses(Access.newBuilder().setAddress(address).setOffset(0x3C)
              .setWidth(Width.WIDTH_BYTE).setOp(AccessOp.ACCESS_OP_WRITE)
              .setValue(rnd.nextInt(256)));
        }
      }
      templates[t] = b.build();
      encoded[t] = templates[t].toByteArray();
    }
    this.stats = new OpStats("config.batch", "access", expected);
    this.method = ConfigServiceGrpc.getBatchMethod().toBuilder(new EitherMarshaller(),
        ProtoUtils.marshaller(AccessBatchResult.getDefaultInstance())).build();
    this.finished = new CountDownLatch(streams);
    for (int s = 0; s < streams; s++) {
      this.streams.add(new Stream(s));
    }
  }

  /** Bytes of one encoded batch (for the report). */
  int encodedBytes() {
    return encoded[0].length;
  }

  @Override
  public String name() {
    return "config-batch";
  }

  @Override
  public List<OpStats> stats() {
    return List.of(stats);
  }

  @Override
  public void start() {
    for (Stream s : streams) {
      s.open();
    }
  }

  @Override
  public void measureFrom(long nanos, long budget) {
    stats.startMeasuring(nanos);
    this.budget.set(budget);
  }

  @Override
  public boolean budgetSpent() {
    return budget.get() <= 0;
  }

  @Override
  public void stop() {
    stop = true;
    for (Stream s : streams) {
      s.fill();
    }
  }

  @Override
  public boolean await(long millis) throws InterruptedException {
    return finished.await(millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public long inFlight() {
    return inFlight.get();
  }

  /** One Batch call keeping {@code depth} batches in flight; results come back in order. */
  private final class Stream implements ClientResponseObserver<Object, AccessBatchResult> {
    private final int index;
    private final ArrayDeque<Long> sentAt = new ArrayDeque<>();
    private ClientCallStreamObserver<Object> requests;
    private long nextId;
    private boolean closed;
    private boolean ended;

    Stream(int index) {
      this.index = index;
      this.nextId = (long) index << 40;
    }

    void open() {
      ClientCalls.asyncBidiStreamingCall(target.channel(firstChannel + index)
          .newCall(method, CallOptions.DEFAULT), this);
      fill();
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<Object> requestStream) {
      this.requests = requestStream;
    }

    /** Sends batches until {@code depth} are in flight; half-closes once stopped and drained. */
    synchronized void fill() {
      if (closed || requests == null) {
        return;
      }
      while (!stop && sentAt.size() < o.depth && budget.getAndDecrement() > 0) {
        long id = nextId++;
        int t = (int) (id & (TEMPLATES - 1));
        Object message = o.prebuilt ? encoded[t] : templates[t].toBuilder().setId(id).build();
        sentAt.addLast(System.nanoTime());
        inFlight.incrementAndGet();
        requests.onNext(message);
      }
      if (sentAt.isEmpty()) {
        closed = true;
        requests.onCompleted();
      }
    }

    @Override
    public void onNext(AccessBatchResult result) {
      long start;
      synchronized (this) {
        Long t = sentAt.pollFirst();
        start = t == null ? System.nanoTime() : t;
        inFlight.decrementAndGet();
      }
      stats.ok(start, result.getValuesCount());
      if (result.getErrorsCount() > 0) {
        Map<Status.Code, long[]> byCode = new EnumMap<>(Status.Code.class);
        Map<Status.Code, String> first = new EnumMap<>(Status.Code.class);
        for (AccessError e : result.getErrorsList()) {
          Status.Code c = Status.fromCodeValue(e.getCode()).getCode();
          byCode.computeIfAbsent(c, k -> new long[1])[0]++;
          first.putIfAbsent(c, e.getMessage());
        }
        byCode.forEach((c, n) -> stats.unitErrors(start, c, n[0], first.get(c)));
      }
      fill();
    }

    @Override
    public void onError(Throwable t) {
      Status status = Status.fromThrowable(t);
      synchronized (this) {
        closed = true;
        for (Long start : sentAt) {
          stats.failed(start, status);
          inFlight.decrementAndGet();
        }
        sentAt.clear();
      }
      end();
    }

    @Override
    public void onCompleted() {
      end();
    }

    private synchronized void end() {
      if (!ended) {
        ended = true;
        finished.countDown();
      }
    }
  }

  /** Encodes an AccessBatch with protobuf, or passes pre-encoded bytes through. */
  private static final class EitherMarshaller implements MethodDescriptor.Marshaller<Object> {
    private final MethodDescriptor.Marshaller<AccessBatch> proto =
        ProtoUtils.marshaller(AccessBatch.getDefaultInstance());

    @Override
    public InputStream stream(Object value) {
      if (value instanceof byte[] b) {
        return new Raw(b);
      }
      return proto.stream((AccessBatch) value);
    }

    @Override
    public Object parse(InputStream stream) {
      return proto.parse(stream);
    }
  }

  /** Bytes gRPC can size and drain without copying them through read(). */
  private static final class Raw extends ByteArrayInputStream implements KnownLength, Drainable {
    Raw(byte[] b) {
      super(b);
    }

    @Override
    public int drainTo(OutputStream target) throws java.io.IOException {
      int n = count - pos;
      target.write(buf, pos, n);
      pos = count;
      return n;
    }
  }
}
