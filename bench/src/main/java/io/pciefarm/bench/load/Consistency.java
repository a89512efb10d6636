package io.pciefarm.bench.load;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.pciefarm.farm.Farm;
import io.pciefarm.proto.v1.Access;
import io.pciefarm.proto.v1.AccessBatch;
import io.pciefarm.proto.v1.AccessBatchResult;
import io.pciefarm.proto.v1.AccessError;
import io.pciefarm.proto.v1.ConfigServiceGrpc;
import io.pciefarm.proto.v1.FunctionInfo;
import io.pciefarm.proto.v1.HotPlugServiceGrpc;
import io.pciefarm.proto.v1.LeaseServiceGrpc;
import io.pciefarm.proto.v1.ListLeasesRequest;
import io.pciefarm.proto.v1.ListLeasesResponse;
import io.pciefarm.proto.v1.ListSlotsRequest;
import io.pciefarm.proto.v1.ListSlotsResponse;
import io.pciefarm.proto.v1.SlotState;
import io.pciefarm.proto.v1.Width;
import io.pciefarm.reset.Resets;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciFunction;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * After a run: is the farm as a client would expect it once everything has settled? Engine
 * checks when the server is embedded (nothing queued or running in any hierarchy's reset queue,
 * every reset started has finished, every function ready with no reset in progress, no lease
 * held or waiting, the farm clock's queue drained), then RPC checks that work against any
 * server (the same functions reachable as before the run; every reachable function answers a
 * Vendor ID read without Retry Status; no lease left; every slot's presence matching its
 * topology). Waits up to the settle time for the engine checks to pass, since at time scale
 * above 0 readiness and command completion run on after the last call returned.
 */
final class Consistency {
  record Check(String name, boolean ok, String detail) {}

  record Result(boolean ok, long settleMillis, List<Check> checks) {}

  private Consistency() {}

  static Result run(Target target, FarmMap before, Options o) throws InterruptedException {
    long start = System.nanoTime();
    long deadline = start + (long) (o.settleSeconds * 1e9);
    List<Check> engine = List.of();
    if (target.farm() != null) {
      while (true) {
        engine = engineChecks(target);
        if (engine.stream().allMatch(Check::ok) || System.nanoTime() > deadline) {
          break;
        }
        Thread.sleep(50);
      }
    }
    long settled = (System.nanoTime() - start) / 1_000_000;
    List<Check> checks = new ArrayList<>(engine);
    checks.addAll(rpcChecks(target, before, deadline));
    return new Result(checks.stream().allMatch(Check::ok), settled, checks);
  }

  static List<Check> engineChecks(Target target) {
    Farm farm = target.farm();
    List<Check> out = new ArrayList<>();
    long started = 0;
    long finished = 0;
    long queued = 0;
    long running = 0;
    List<String> busy = new ArrayList<>();
    int functions = 0;
    List<String> notReady = new ArrayList<>();
    int notReadyCount = 0;
    int unpowered = 0;
    for (Hierarchy h : farm.list()) {
      Resets.Stats s = h.resets().stats();
      started += s.started();
      finished += s.finished();
      queued += s.queued();
      running += s.running();
      if ((s.queued() != 0 || s.running() != 0 || s.started() != s.finished())
          && busy.size() < 5) {
        busy.add(h.name() + " " + s);
      }
      for (PciFunction f : h.functions()) {
        functions++;
        PciFunction port = f.upstreamBridge();
        if (port != null && port.slot() != null && !port.slot().linkPossible()) {
          unpowered++;
          continue; // a card in a slot without power (or with its latch open) cannot be ready
        }
        if (!f.ready() || f.currentReset() != null) {
          notReadyCount++;
          if (notReady.size() < 5) {
            notReady.add(f.describe() + (f.currentReset() != null
                ? " (reset in progress: " + f.currentReset().method() + ")" : " (not ready)"));
          }
        }
      }
    }
    out.add(new Check("engine: reset queues drained", queued == 0 && running == 0
        && started == finished, String.format("started %d, finished %d, queued %d, running %d%s",
            started, finished, queued, running, busy.isEmpty() ? "" : "; e.g. " + busy)));
    out.add(new Check("engine: every function ready, none mid-reset", notReadyCount == 0,
        String.format("%d functions, %d not ready or mid-reset%s%s", functions, notReadyCount,
            notReady.isEmpty() ? "" : ": " + notReady, unpowered == 0 ? ""
                : "; " + unpowered + " in slots without power, not counted")));
    int[] leases = farm.leases().counts();
    out.add(new Check("engine: no lease held or waiting", leases[0] == 0 && leases[1] == 0,
        "active " + leases[0] + ", waiting " + leases[1]));
    if (target.clock() != null) {
      int pending = target.clock().pending();
      out.add(new Check("engine: farm clock drained", pending == 0,
          pending + " scheduled tasks pending"));
    }
    return out;
  }

  static List<Check> rpcChecks(Target target, FarmMap before, long deadline)
      throws InterruptedException {
    List<Check> out = new ArrayList<>();
    FarmMap after;
    try {
      after = FarmMap.discover(target.channel(0));
    } catch (StatusRuntimeException e) {
      out.add(new Check("rpc: GetTopology", false, e.getStatus().toString()));
      return out;
    }
    Set<String> was = addresses(before);
    Set<String> is = addresses(after);
    Set<String> lost = new HashSet<>(was);
    lost.removeAll(is);
    Set<String> extra = new HashSet<>(is);
    extra.removeAll(was);
    out.add(new Check("rpc: the same functions reachable as before the run",
        lost.isEmpty() && extra.isEmpty(), String.format("%d before, %d after, %d gone %s,"
            + " %d new %s", was.size(), is.size(), lost.size(), sample(lost), extra.size(),
            sample(extra))));

    // every reachable function answers Vendor ID; retried until the deadline while some do not
    Check vendor;
    do {
      vendor = vendorIds(target, after);
      if (vendor.ok() || System.nanoTime() > deadline) {
        break;
      }
      Thread.sleep(200);
    } while (true);
    out.add(vendor);

    try {
      ListLeasesResponse leases = LeaseServiceGrpc.newBlockingStub(target.mutationChannel(0))
          .withDeadlineAfter(30, TimeUnit.SECONDS).listLeases(ListLeasesRequest.getDefaultInstance());
      out.add(new Check("rpc: ListLeases empty", leases.getLeasesCount() == 0,
          leases.getLeasesCount() + " leases"));
    } catch (StatusRuntimeException e) {
      out.add(notRun("rpc: ListLeases empty", e));
    }

    try {
      ListSlotsResponse slots = HotPlugServiceGrpc.newBlockingStub(target.mutationChannel(0))
          .withDeadlineAfter(30, TimeUnit.SECONDS).listSlots(ListSlotsRequest.getDefaultInstance());
      Set<String> parents = new HashSet<>();
      for (FunctionInfo f : after.snapshot().getFunctionsList()) {
        if (f.getReachable() && !f.getUpstream().isEmpty()) {
          parents.add(f.getUpstream());
        }
      }
      List<String> bad = new ArrayList<>();
      for (SlotState s : slots.getSlotsList()) {
        boolean below = parents.contains(s.getPort());
        boolean live = s.getCardPresent() && s.getPowered() && !s.getMrlOpen();
        // a live card has its link up and answers below the port; an empty slot has nothing
        // below; a card without power answers nowhere
        boolean ok = live ? s.getLinkActive() && below : !below;
        if (!ok) {
          bad.add(s.getHierarchy() + " slot " + s.getSlot() + " present=" + s.getCardPresent()
              + " function-below=" + below + " powered=" + s.getPowered() + " link="
              + s.getLinkActive());
        }
      }
      out.add(new Check("rpc: every slot's state matches its topology", bad.isEmpty(),
          slots.getSlotsCount() + " slots, " + bad.size() + " inconsistent" + sample(bad)));
    } catch (StatusRuntimeException e) {
      out.add(notRun("rpc: every slot's state matches its topology", e));
    }
    return out;
  }

  private static Check notRun(String name, StatusRuntimeException e) {
    if (e.getStatus().getCode() == Status.Code.UNIMPLEMENTED) {
      return new Check(name, true, "not run: the server does not implement the service");
    }
    return new Check(name, false, e.getStatus().toString());
  }

  private static Check vendorIds(Target target, FarmMap map) throws InterruptedException {
    List<Integer> packed = new ArrayList<>();
    map.hierarchies().forEach(h -> packed.addAll(h.packed()));
    int per = Math.max(1, Math.min(4096, target.info().getMaxBatchAccesses()));
    List<AccessBatch> batches = new ArrayList<>();
    for (int i = 0; i < packed.size(); i += per) {
      AccessBatch.Builder b = AccessBatch.newBuilder().setId(i);
      for (int a : packed.subList(i, Math.min(packed.size(), i + per))) {
        b.addAccesses(Access.newBuilder().setAddress(a).setOffset(0).setWidth(Width.WIDTH_WORD));
      }
      batches.add(b.build());
    }
    List<AccessBatchResult> results = new ArrayList<>();
    Status[] failure = {null};
    CountDownLatch done = new CountDownLatch(1);
    StreamObserver<AccessBatch> req = ConfigServiceGrpc.newStub(target.channel(0))
        .withDeadlineAfter(120, TimeUnit.SECONDS)
        .batch(new StreamObserver<>() {
          @Override
          public void onNext(AccessBatchResult r) {
            synchronized (results) {
              results.add(r);
            }
          }

          @Override
          public void onError(Throwable t) {
            failure[0] = Status.fromThrowable(t);
            done.countDown();
          }

          @Override
          public void onCompleted() {
            done.countDown();
          }
        });
    batches.forEach(req::onNext);
    req.onCompleted();
    String name = "rpc: every reachable function answers Vendor ID (no Retry Status)";
    if (!done.await(150, TimeUnit.SECONDS)) {
      return new Check(name, false, "no answer in 150 s");
    }
    if (failure[0] != null) {
      return new Check(name, false, failure[0].toString());
    }
    int bad = 0;
    List<String> examples = new ArrayList<>();
    synchronized (results) {
      for (AccessBatchResult r : results) {
        for (AccessError e : r.getErrorsList()) {
          bad++;
          if (examples.size() < 3) {
            examples.add(String.format("%08x: %s", packed.get((int) r.getId() + e.getIndex()),
                e.getMessage()));
          }
        }
        for (int i = 0; i < r.getValuesCount(); i++) {
          int v = r.getValues(i);
          if (v == 0x0001 || v == 0xFFFF) {
            bad++;
            if (examples.size() < 3) {
              examples.add(String.format("%08x reads %04x", packed.get((int) r.getId() + i), v));
            }
          }
        }
      }
    }
    return new Check(name, bad == 0, packed.size() + " functions, " + bad + " not answering"
        + (examples.isEmpty() ? "" : ": " + examples));
  }

  private static Set<String> addresses(FarmMap m) {
    Set<String> out = new HashSet<>();
    m.hierarchies().forEach(h -> out.addAll(h.addresses()));
    return out;
  }

  private static String sample(java.util.Collection<String> c) {
    return c.isEmpty() ? "" : " " + c.stream().limit(3).toList();
  }
}
