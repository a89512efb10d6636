package io.pciefarm.bench.load;

import io.grpc.Status;
import io.pciefarm.proto.v1.ConfigServiceGrpc;
import io.pciefarm.proto.v1.ReadRequest;
import io.pciefarm.proto.v1.Width;
import io.pciefarm.proto.v1.WriteRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Unary config calls, {@code concurrency} in flight, spread over the connections. Reads are
 * dword reads at random aligned offsets of the first 256 bytes of random functions; writes
 * (share {@code 1 - readFraction}) set Interrupt Line (0x3C), a plain RW byte with no side
 * effect. Requests are built before the run (256 per client), so the client's own protobuf
 * encoding is measured but not its request construction.
 */
final class ConfigUnary implements Workload {
  static final int TABLE = 256;

  private final Target target;
  private final long deadlineMs;
  private final double readFraction;
  private final Object[][] requests;
  private final int[] cursor;
  private final OpStats all;
  private final OpStats reads;
  private final OpStats writes;
  private final ClosedLoop loop;

  ConfigUnary(Target target, FarmMap map, Options o, Set<Status.Code> expected) {
    this.target = target;
    this.deadlineMs = o.deadlineMs;
    this.readFraction = o.readFraction;
    List<String> addresses = new ArrayList<>();
    map.hierarchies().forEach(h -> addresses.addAll(h.addresses()));
    if (addresses.isEmpty()) {
      throw new IllegalStateException("the farm has no reachable function to read");
    }
    Random rnd = new Random(42);
    requests = new Object[o.concurrency][TABLE];
    for (Object[] table : requests) {
      for (int i = 0; i < TABLE; i++) {
        String a = addresses.get(rnd.nextInt(addresses.size()));
        if (rnd.nextDouble() < o.readFraction) {
          table[i] = ReadRequest.newBuilder().setAddress(a).setOffset(4 * rnd.nextInt(64))
              .setWidth(Width.WIDTH_DWORD).build();
        } else {
          table[i] = WriteRequest.newBuilder().setAddress(a).setOffset(0x3C)
              .setWidth(Width.WIDTH_BYTE).setValue(rnd.nextInt(256)).build();
        }
      }
    }
    cursor = new int[o.concurrency];
    all = new OpStats("config.unary", "call", expected);
    reads = new OpStats("config.read", "call", expected);
    writes = new OpStats("config.write", "call", expected);
    loop = new ClosedLoop(o.concurrency, Long.MAX_VALUE, this::step);
  }

  private void step(int client, Runnable done) {
    Object req = requests[client][cursor[client]++ & (TABLE - 1)];
    long start = System.nanoTime();
    if (req instanceof ReadRequest r) {
      Rpc.unary(target.channel(client), ConfigServiceGrpc.getReadMethod(), r, deadlineMs,
          (resp, status) -> {
            record(reads, start, status);
            done.run();
          });
    } else {
      Rpc.unary(target.channel(client), ConfigServiceGrpc.getWriteMethod(), (WriteRequest) req,
          deadlineMs, (resp, status) -> {
            record(writes, start, status);
            done.run();
          });
    }
  }

  private void record(OpStats kind, long start, Status status) {
    if (status.isOk()) {
      all.ok(start, 1);
      kind.ok(start, 1);
    } else {
      all.failed(start, status);
      kind.failed(start, status);
    }
  }

  @Override
  public String name() {
    return "config-unary";
  }

  @Override
  public List<OpStats> stats() {
    if (readFraction >= 1) {
      return List.of(all, reads);
    }
    return readFraction <= 0 ? List.of(all, writes) : List.of(all, reads, writes);
  }

  @Override
  public void start() {
    loop.start();
  }

  @Override
  public void measureFrom(long nanos, long budget) {
    stats().forEach(s -> s.startMeasuring(nanos));
    loop.budget(budget);
  }

  @Override
  public boolean budgetSpent() {
    return loop.budgetSpent();
  }

  @Override
  public void stop() {
    loop.stop();
  }

  @Override
  public boolean await(long millis) throws InterruptedException {
    return loop.await(millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public long inFlight() {
    return loop.inFlight();
  }
}
