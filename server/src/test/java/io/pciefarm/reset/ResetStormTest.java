package io.pciefarm.reset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.ownership.Owner;
import io.pciefarm.time.SystemFarmClock;
import io.pciefarm.time.TimeBase;
import io.pciefarm.topology.ConfigRetryException;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.HierarchyBuilder;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Many threads firing overlapping resets of every kind at one hierarchy while readers hammer
 * config space. Afterwards: nothing lost, nothing stuck, no function was ever in two resets at
 * once, and readers only ever saw a real ID, Retry Status or all ones.
 */
class ResetStormTest {
  private static final String RACK = """
      {"name":"storm","timeScale":0.05,"devices":[
        {"device":1,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd"}]},
        {"device":2,"model":"root-port-acs","children":[{"device":0,"model":"gpu"}]},
        {"device":3,"model":"root-port-hotplug-acs","slot":3,"children":[{"device":0,"model":"nvme-ssd"}]},
        {"device":4,"model":"root-port-hotplug-acs","slot":4,"children":[{"device":0,"model":"usb3-bus-reset-only"}]},
        {"device":5,"model":"root-port-acs","children":[
          {"device":0,"model":"switch-upstream-port","children":[
            {"device":0,"model":"switch-downstream-port","children":[{"device":0,"model":"nvme-ssd"}]},
            {"device":1,"model":"switch-downstream-port","children":[{"device":0,"model":"nic-sriov"}]},
            {"device":2,"model":"switch-downstream-port","children":[{"device":0,"model":"nvme-ssd-slow-flr"}]}]}]}]}""";

  @Test
  void stormOfOverlappingResets() throws Exception {
    try (SystemFarmClock clock = new SystemFarmClock()) {
      Hierarchy h = HierarchyBuilder.build(TopologyFiles.parse(RACK, "storm"),
          new TimeBase(clock, 1.0));
      Map<PciFunction, AtomicInteger> active = new ConcurrentHashMap<>();
      List<String> violations = new CopyOnWriteArrayList<>();
      h.resetEngine().observer(new ResetObserver() {
        @Override
        public void resetStarted(PciFunction.ResetInProgress r) {
          if (active.computeIfAbsent(r.function(), k -> new AtomicInteger()).incrementAndGet()
              > 1) {
            violations.add(r.function().describe() + " reset twice at once (" + r.method() + ")");
          }
        }

        @Override
        public void resetFinished(PciFunction.ResetInProgress r) {
          active.get(r.function()).decrementAndGet();
        }

        @Override
        public void resetFailed(PciFunction.ResetInProgress r, String reason) {
          active.get(r.function()).decrementAndGet(); // ended too: not active any more
        }
      });
      List<ResetTarget> targets = List.of(
          target("0000:01:00.0"), target("0000:02:00.0"), target("0000:02:00.1"),
          new ResetTarget.Device(PciAddress.parse("0000:02:00.0")), target("0000:03:00.0"),
          new ResetTarget.Slot(3), new ResetTarget.Slot(4), target("0000:09:00.0"),
          new ResetTarget.Bus(1), new ResetTarget.Bus(2), new ResetTarget.Bus(6),
          new ResetTarget.Bus(5));
      List<Set<ResetMethod>> methods = List.of(MethodSet.ANY, MethodSet.FUNC, MethodSet.LINK);

      AtomicBoolean stop = new AtomicBoolean();
      AtomicInteger badReads = new AtomicInteger();
      List<CompletableFuture<ResetResult>> futures = new CopyOnWriteArrayList<>();
      AtomicInteger busy = new AtomicInteger();
      AtomicInteger refusedForOtherReasons = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        Future<?> reader = pool.submit(() -> {
          while (!stop.get()) {
            for (PciFunction f : h.functions()) {
              PciAddress a = f.address();
              if (a == null) {
                continue;
              }
              try {
                int v = h.read(a.bus(), a.device(), a.function(), 0, 2);
                if (v != f.model().vendorId() && v != 0x0001 && v != 0xFFFF) {
                  badReads.incrementAndGet();
                }
              } catch (ConfigRetryException expected) {
                // not ready and RRS not visible for this access: fine
              }
            }
          }
        });
        List<Future<?>> firing = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
          long seed = 42 + t;
          firing.add(pool.submit(() -> {
            SplittableRandom rnd = new SplittableRandom(seed);
            for (int i = 0; i < 400; i++) {
              ResetRequest.Mode mode = rnd.nextBoolean() ? ResetRequest.Mode.TRY
                  : ResetRequest.Mode.WAIT;
              ResetRequest r = new ResetRequest(targets.get(rnd.nextInt(targets.size())),
                  methods.get(rnd.nextInt(methods.size())), mode, Duration.ofSeconds(20),
                  rnd.nextInt(4) == 0, Owner.HOST);
              try {
                futures.add(h.resets().reset(r));
              } catch (ResetException e) {
                if (e.kind() == ResetException.Kind.BUSY) {
                  assertEquals(ResetRequest.Mode.TRY, mode, "only TRY requests see BUSY");
                  busy.incrementAndGet();
                } else {
                  // unreachable target while a neighbour holds it in reset, or no method
                  assertTrue(e.kind() == ResetException.Kind.BAD_TARGET
                      || e.kind() == ResetException.Kind.NO_METHOD, e.getMessage());
                  refusedForOtherReasons.incrementAndGet();
                }
              }
            }
            return null;
          }));
        }
        for (Future<?> f : firing) {
          f.get(120, TimeUnit.SECONDS);
        }
        // A request whose target a running bus reset hid is planned again when that reset
        // ends: its refusal (the target gone for good, no method for what is there now) comes
        // through its future instead of at once.
        CompletableFuture.allOf(futures.stream().map(f -> f.handle((r, e) -> null))
            .toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
        futures.removeIf(f -> {
          if (!f.isCompletedExceptionally()) {
            return false;
          }
          Throwable e = f.handle((r, x) -> x).join();
          e = e instanceof java.util.concurrent.CompletionException ? e.getCause() : e;
          assertTrue(e instanceof ResetException re && (re.kind() == ResetException.Kind.BAD_TARGET
              || re.kind() == ResetException.Kind.NO_METHOD), "a deferred refusal: " + e);
          refusedForOtherReasons.incrementAndGet();
          return true;
        });
        stop.set(true);
        reader.get(10, TimeUnit.SECONDS);
      } finally {
        stop.set(true);
        pool.shutdownNow();
      }

      assertEquals(List.of(), violations);
      assertEquals(0, badReads.get(), "a reader saw a value no state produced");
      assertTrue(futures.size() > 100, "the storm ran: " + futures.size() + " resets accepted");
      for (CompletableFuture<ResetResult> f : futures) {
        assertTrue(f.isDone() && !f.isCompletedExceptionally(), "every accepted reset completed");
        assertTrue(f.get().complete(), "every function came back: " + f.get());
      }
      Resets.Stats stats = h.resets().stats();
      assertEquals(stats.started(), stats.finished());
      assertEquals(futures.size(), (int) stats.finished(), "no reset lost or run twice");
      assertEquals(0, stats.queued());
      assertEquals(0, stats.running());
      // Give the last readiness flips a moment of real time (they are scheduled, not awaited).
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (h.functions().stream().anyMatch(f -> !f.ready()) && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      for (PciFunction f : h.functions()) {
        assertTrue(f.ready(), f + " stuck mid-reset");
      }
      active.forEach((f, n) -> assertEquals(0, n.get(), f + " left in a reset"));
    }
  }

  private static ResetTarget target(String address) {
    return new ResetTarget.Function(PciAddress.parse(address));
  }
}
