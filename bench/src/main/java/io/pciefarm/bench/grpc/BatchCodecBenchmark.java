package io.pciefarm.bench.grpc;

import com.google.protobuf.InvalidProtocolBufferException;
import io.pciefarm.bench.load.FarmSpecs;
import io.pciefarm.farm.Farm;
import io.pciefarm.proto.v1.Access;
import io.pciefarm.proto.v1.AccessBatch;
import io.pciefarm.proto.v1.AccessBatchResult;
import io.pciefarm.proto.v1.Width;
import io.pciefarm.time.ManualClock;
import io.pciefarm.time.TimeBase;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The batch path's protobuf work per batch of {@code accesses} config reads (1, 64, 4096),
 * against a fixed-layout {@link ByteBuffer} baseline in the same run (12 bytes per access:
 * address, offset, width, op, value; 4 bytes per result value): the floor any encoding of the
 * same data has to pay, so the ratio is what the protobuf representation (one sub-message per
 * access) costs on top.
 *
 * <ul>
 *   <li>{@code encodeBatch}: what a client does per batch: build the {@code AccessBatch} from
 *       its accesses and serialize it ({@code toByteArray}); twin {@code encodeBatch_raw};
 *   <li>{@code decodeBatch}: what the server does first: parse it and read every access's
 *       fields; twin {@code decodeBatch_raw};
 *   <li>{@code encodeResult}: what the server does last: build the {@code AccessBatchResult}
 *       value by value and serialize it; twin {@code encodeResult_raw};
 *   <li>{@code decodeResult}: what the client does last: parse it and read every value; twin
 *       {@code decodeResult_raw};
 *   <li>{@code serverModel} (reference, no twin): the server's whole work for one batch minus
 *       the transport: parse, execute every read on a farm of 100 generated hierarchies as
 *       {@code ConfigServiceImpl.execute} does (segment, checks, {@code Hierarchy.read}), build
 *       and serialize the result. A model of that loop (the service is package-private), kept
 *       to its steps; 1e9 / (its ns per access) is one core's ceiling in accesses/s.
 * </ul>
 * Scores are per batch; {@code bench/table.py} adds ns per access.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class BatchCodecBenchmark {
  static final int RAW_ACCESS_BYTES = 12;

  @Param({"1", "64", "4096"})
  public int accesses;

  int[] address;
  int[] offset;
  int[] values;
  byte[] batchBytes;
  byte[] resultBytes;
  ByteBuffer rawBatch;
  ByteBuffer rawResult;
  Farm farm;
  long id;

  @Setup(Level.Trial)
  public void setUp() {
    farm = new Farm(new TimeBase(new ManualClock(), 0));
    List<PciAddress> reachable = new ArrayList<>();
    for (var spec : FarmSpecs.farm(100, 0)) {
      Hierarchy h = farm.create(spec);
      for (PciFunction f : h.functions()) {
        if (f.address() != null) {
          reachable.add(f.address());
        }
      }
    }
    Random r = new Random(99);
    address = new int[accesses];
    offset = new int[accesses];
    values = new int[accesses];
    for (int i = 0; i < accesses; i++) {
      PciAddress a = reachable.get(r.nextInt(reachable.size()));
      address[i] = a.segment() << 16 | a.bus() << 8 | a.devfn();
      offset[i] = 4 * r.nextInt(64);
      values[i] = r.nextInt();
    }
    batchBytes = buildBatch(1).toByteArray();
    resultBytes = buildResult(1).toByteArray();
    rawBatch = ByteBuffer.allocate(accesses * RAW_ACCESS_BYTES + 8).order(ByteOrder.LITTLE_ENDIAN);
    rawResult = ByteBuffer.allocate(accesses * 4 + 8).order(ByteOrder.LITTLE_ENDIAN);
    encodeBatch_raw();
    encodeResult_raw();
  }

  AccessBatch buildBatch(long batchId) {
    AccessBatch.Builder b = AccessBatch.newBuilder().setId(batchId);
    for (int i = 0; i < accesses; i++) {
      b.addAccesses(Access.newBuilder().setAddress(address[i]).setOffset(offset[i])
          .setWidth(Width.WIDTH_DWORD));
    }
    return b.build();
  }

  AccessBatchResult buildResult(long batchId) {
    AccessBatchResult.Builder b = AccessBatchResult.newBuilder().setId(batchId);
    for (int i = 0; i < accesses; i++) {
      b.addValues(values[i]);
    }
    return b.build();
  }

  // ---- client: encode the batch ----

  @Benchmark
  public byte[] encodeBatch() {
    return buildBatch(++id).toByteArray();
  }

  @Benchmark
  public ByteBuffer encodeBatch_raw() {
    ByteBuffer b = rawBatch.clear();
    b.putLong(++id);
    for (int i = 0; i < accesses; i++) {
      b.putInt(address[i]).putShort((short) offset[i]).put((byte) 4).put((byte) 0).putInt(0);
    }
    return b.flip();
  }

  // ---- server: decode the batch ----

  @Benchmark
  public long decodeBatch() throws InvalidProtocolBufferException {
    AccessBatch b = AccessBatch.parseFrom(batchBytes);
    long sum = b.getId();
    for (int i = 0, n = b.getAccessesCount(); i < n; i++) {
      Access a = b.getAccesses(i);
      sum += a.getAddress() + a.getOffset() + a.getWidthValue() + a.getOpValue() + a.getValue();
    }
    return sum;
  }

  @Benchmark
  public long decodeBatch_raw() {
    ByteBuffer b = rawBatch.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    long sum = b.getLong();
    for (int i = 0; i < accesses; i++) {
      sum += b.getInt() + b.getShort() + b.get() + b.get() + b.getInt();
    }
    return sum;
  }

  // ---- server: encode the result ----

  @Benchmark
  public byte[] encodeResult() {
    return buildResult(++id).toByteArray();
  }

  @Benchmark
  public ByteBuffer encodeResult_raw() {
    ByteBuffer b = rawResult.clear();
    b.putLong(++id);
    for (int i = 0; i < accesses; i++) {
      b.putInt(values[i]);
    }
    return b.flip();
  }

  // ---- client: decode the result ----

  @Benchmark
  public long decodeResult() throws InvalidProtocolBufferException {
    AccessBatchResult r = AccessBatchResult.parseFrom(resultBytes);
    long sum = r.getId();
    for (int i = 0, n = r.getValuesCount(); i < n; i++) {
      sum += r.getValues(i);
    }
    return sum;
  }

  @Benchmark
  public long decodeResult_raw() {
    ByteBuffer b = rawResult.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    long sum = b.getLong();
    for (int i = 0; i < accesses; i++) {
      sum += b.getInt();
    }
    return sum;
  }

  // ---- the server's whole batch, without the transport ----

  @Benchmark
  public byte[] serverModel() throws InvalidProtocolBufferException {
    AccessBatch batch = AccessBatch.parseFrom(batchBytes);
    int n = batch.getAccessesCount();
    AccessBatchResult.Builder r = AccessBatchResult.newBuilder().setId(batch.getId());
    for (int i = 0; i < n; i++) {
      Access a = batch.getAccesses(i);
      int packed = a.getAddress();
      int width = a.getWidthValue();
      if (width != 1 && width != 2 && width != 4) {
        throw new IllegalArgumentException("width " + width);
      }
      Hierarchy h = farm.bySegment(packed >>> 16);
      if (h == null || a.getOffset() > 4095 || a.getOffset() % width != 0) {
        throw new IllegalArgumentException("access " + i);
      }
      int devfn = packed & 0xFF;
      r.addValues(h.read((packed >>> 8) & 0xFF, devfn >>> 3, devfn & 7, a.getOffset(), width));
    }
    return r.build().toByteArray();
  }
}
