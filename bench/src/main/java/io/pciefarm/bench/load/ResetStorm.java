package io.pciefarm.bench.load;

import io.grpc.Status;
import io.pciefarm.bench.load.Options.ResetKind;
import io.pciefarm.proto.v1.ResetMethod;
import io.pciefarm.proto.v1.ResetMode;
import io.pciefarm.proto.v1.ResetRequest;
import io.pciefarm.proto.v1.ResetServiceGrpc;
import io.pciefarm.proto.v1.ResetTarget;
import io.pciefarm.proto.v1.ResetTargetKind;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * K clients, each with one Reset call in flight, across the farm's hierarchies. Each request
 * draws its kind from the mix (FLR of a drive, secondary bus reset of a bus that has functions
 * below, slot reset of an occupied slot), then its hierarchy: with probability
 * {@code contended} one of the first {@code hot} hierarchies, where every client's requests
 * overlap (a bus reset above the switch reaches everything an FLR or slot reset below it
 * does), otherwise any hierarchy. Every request carries a fresh request_id.
 *
 * <p>In TRY mode a request whose functions an earlier one holds fails with ABORTED, the
 * documented busy status: that is counted apart from errors. In WAIT mode it queues instead.
 */
final class ResetStorm implements Workload {
  private final Target target;
  private final Options o;
  private final List<FarmMap.Hier> hiers = new ArrayList<>();
  private final List<FarmMap.Hier> hot = new ArrayList<>();
  private final ResetKind[] kinds;
  private final OpStats all;
  private final Map<ResetKind, OpStats> byKind = new EnumMap<>(ResetKind.class);
  private final ClosedLoop loop;
  private final AtomicLong ids = new AtomicLong();
  private final String runId = Long.toHexString(System.nanoTime());
  private final int firstChannel;

  ResetStorm(Target target, FarmMap map, Options o, int clients, int firstChannel) {
    this.target = target;
    this.o = o;
    this.firstChannel = firstChannel;
    for (FarmMap.Hier h : map.hierarchies()) {
      if (!h.flr().isEmpty() || !h.buses().isEmpty() || !h.slots().isEmpty()) {
        hiers.add(h);
      }
    }
    if (hiers.isEmpty()) {
      throw new IllegalStateException("no hierarchy has anything to reset");
    }
    hot.addAll(hiers.subList(0, Math.min(Math.max(1, o.hot), hiers.size())));
    List<ResetKind> k = new ArrayList<>();
    o.mix.forEach((kind, weight) -> {
      for (int i = 0; i < weight; i++) {
        k.add(kind);
      }
    });
    kinds = k.toArray(ResetKind[]::new);
    Set<Status.Code> expected = o.waitMode ? Set.of() : Set.of(Status.Code.ABORTED);
    all = new OpStats("reset", "reset", expected);
    for (ResetKind kind : ResetKind.values()) {
      byKind.put(kind, new OpStats("reset." + kind.name().toLowerCase(Locale.ROOT), "reset",
          expected));
    }
    loop = new ClosedLoop(clients, Long.MAX_VALUE, this::step);
  }

  /** The request a client sends next. */
  ResetRequest next(ThreadLocalRandom rnd, ResetKind[] kindOut) {
    for (int attempt = 0; ; attempt++) {
      if (attempt > 10_000) {
        throw new IllegalStateException("the farm has no target for the mix " + o.mix);
      }
      ResetKind kind = kinds[rnd.nextInt(kinds.length)];
      List<FarmMap.Hier> pool = rnd.nextDouble() < o.contended ? hot : hiers;
      FarmMap.Hier h = pool.get(rnd.nextInt(pool.size()));
      ResetTarget.Builder t = ResetTarget.newBuilder();
      ResetMethod method;
      switch (kind) {
        case FLR -> {
          if (h.flr().isEmpty()) {
            continue;
          }
          t.setKind(ResetTargetKind.RESET_TARGET_KIND_FUNCTION)
              .setAddress(h.flr().get(rnd.nextInt(h.flr().size())));
          method = ResetMethod.RESET_METHOD_FLR;
        }
        case BUS -> {
          if (h.buses().isEmpty()) {
            continue;
          }
          t.setKind(ResetTargetKind.RESET_TARGET_KIND_BUS).setHierarchy(h.name())
              .setBus(h.buses().get(rnd.nextInt(h.buses().size())));
          method = ResetMethod.RESET_METHOD_BUS;
        }
        default -> {
          if (h.slots().isEmpty()) {
            continue;
          }
          t.setKind(ResetTargetKind.RESET_TARGET_KIND_SLOT).setHierarchy(h.name())
              .setSlot(h.slots().get(rnd.nextInt(h.slots().size())));
          method = ResetMethod.RESET_METHOD_SLOT;
        }
      }
      kindOut[0] = kind;
      ResetRequest.Builder r = ResetRequest.newBuilder();
      if (o.requestIds) {
        r.setRequestId(runId + "-" + ids.incrementAndGet());
      }
      return r
          .setTarget(t)
          .addMethods(method)
          .setMode(o.waitMode ? ResetMode.RESET_MODE_WAIT : ResetMode.RESET_MODE_TRY)
          .setWaitReady(o.waitReady)
          .setSaveRestore(o.saveRestore)
          .build();
    }
  }

  private void step(int client, Runnable done) {
    ResetKind[] kind = new ResetKind[1];
    ResetRequest request = next(ThreadLocalRandom.current(), kind);
    OpStats k = byKind.get(kind[0]);
    long start = System.nanoTime();
    Rpc.unary(target.mutationChannel(firstChannel + client), ResetServiceGrpc.getResetMethod(),
        request, o.deadlineMs, (resp, status) -> {
          if (status.isOk()) {
            all.ok(start, 1);
            k.ok(start, 1);
          } else {
            all.failed(start, status);
            k.failed(start, status);
          }
          done.run();
        });
  }

  @Override
  public String name() {
    return "reset-storm";
  }

  @Override
  public List<OpStats> stats() {
    List<OpStats> out = new ArrayList<>();
    out.add(all);
    byKind.forEach((kind, s) -> {
      if (o.mix.getOrDefault(kind, 0) > 0) {
        out.add(s);
      }
    });
    return out;
  }

  @Override
  public void start() {
    loop.start();
  }

  @Override
  public void measureFrom(long nanos, long budget) {
    all.startMeasuring(nanos);
    byKind.values().forEach(s -> s.startMeasuring(nanos));
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
