package io.pciefarm.bench.reset;

import io.pciefarm.ownership.Owner;
import io.pciefarm.reset.ResetMethod;
import io.pciefarm.reset.ResetObserver;
import io.pciefarm.reset.ResetRequest;
import io.pciefarm.reset.ResetResult;
import io.pciefarm.reset.ResetTarget;
import io.pciefarm.spec.Type1;
import io.pciefarm.time.ManualClock;
import io.pciefarm.time.TimeBase;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.HierarchyBuilder;
import io.pciefarm.topology.PciFunction;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Secondary bus reset fan-out: the CPU cost of resetting everything below one bridge, for 1, 8,
 * 64 and 512 functions below it ({@link FanoutTopology}, two shapes). Time scale 0 on a
 * {@link ManualClock}: every scheduled step (link training, readiness settle) has no delay and
 * runs at once on the calling thread, so one operation is the whole reset, CPU only.
 * <ul>
 *   <li>{@code sbr}: Bridge Control bit 6 written 1 then 0 on the root port through its config
 *       space, as an OS does: the assert takes the link down and republishes routing; the
 *       release resets every function below (registers to defaults, sticky bits kept, links
 *       down), republishes routing, then trains each link (a republish per link that comes up)
 *       and settles every function. The state between operations is the steady state of
 *       repeated resets without restore: the subtree's registers are at their defaults (bus
 *       numbers 0), which the reset itself does not look at (the routing recomputes it does see
 *       the subtree not forwarding either way: the port is in reset, then the bridges below
 *       are).
 *   <li>{@code request}: the same reset through the request API, {@code resets().reset()} of
 *       the root port's secondary bus, method BUS, TRY, no save/restore: planning (subtree,
 *       ownership, the reported plan with isolation groups), queueing, the register writes,
 *       the readiness check and the result.
 *   <li>{@code requestSaveRestore}: as {@code request}, saving and restoring every affected
 *       function's state as Linux does, so every operation starts from the enumerated (booted)
 *       state: every function reachable. ({@code request} starts from the state its previous
 *       reset left: below the port nothing is reachable, which changes what the plan reports.)
 *   <li>Components, for the analysis: {@code routingRepublish} ({@link Hierarchy#routingChanged},
 *       one routing recompute, in the state between resets: bus numbers below the port at 0, on
 *       the twin),
 *       {@code routingRepublishEnumerated} (the same on an identical hierarchy as enumerated,
 *       never reset: every bridge routes) and {@code subtree} ({@link Hierarchy#subtree}).
 *       (The one-pass routing prototype once measured here is the server's
 *       {@code Routing.compute} since {@code c7b7f7a}.)
 * </ul>
 * Set-up checks that exactly {@code n} functions are below the port and that one reset starts
 * and finishes every one of them (on a twin hierarchy, so the one measured starts enumerated);
 * each iteration's tear-down checks nothing is left scheduled
 * and the whole subtree is settled and ready.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class ResetFanoutBenchmark {
  @Param({"1", "8", "64", "512"})
  public int n;

  @Param({"PCI", "SWITCH"})
  public String shape;

  private ManualClock clock;
  private Hierarchy hierarchy;
  private PciFunction port;
  private List<PciFunction> below;
  private int bridgeControl;
  private ResetRequest busRequest;
  private ResetRequest busRequestSaveRestore;
  private Hierarchy enumerated;
  private Hierarchy afterReset;

  @Setup(Level.Trial)
  public void setUp() {
    // First a twin: one reset of it must start and finish exactly n resets.
    build();
    checkOneResetReachesAll();
    afterReset = hierarchy;
    // Then the hierarchy measured, as enumerated: save/restore saves the booted state.
    build();
    ResetTarget bus = new ResetTarget.Bus(port.secondaryBusNumber());
    busRequest = new ResetRequest(bus, Set.of(ResetMethod.BUS), ResetRequest.Mode.TRY, null,
        false, Owner.HOST);
    busRequestSaveRestore = new ResetRequest(bus, Set.of(ResetMethod.BUS),
        ResetRequest.Mode.TRY, null, true, Owner.HOST);

    enumerated = HierarchyBuilder.build(
        FanoutTopology.spec(FanoutTopology.Shape.valueOf(shape), n),
        new TimeBase(new ManualClock(), 0.0));
    System.out.printf("%n%s: %d functions below %s, %d links, %d buses in the hierarchy%n",
        hierarchy.name(), below.size(), port, FanoutTopology.links(hierarchy, port),
        hierarchy.buses().size());
  }

  private void build() {
    clock = new ManualClock();
    hierarchy = HierarchyBuilder.build(
        FanoutTopology.spec(FanoutTopology.Shape.valueOf(shape), n), new TimeBase(clock, 0.0));
    port = hierarchy.lookup(0, FanoutTopology.ROOT_PORT_DEVICE << 3);
    below = hierarchy.subtree(port);
    if (below.size() != n) {
      throw new IllegalStateException(below.size() + " functions below " + port + ", not " + n);
    }
    bridgeControl = port.config().read(Type1.BRIDGE_CONTROL, 2) & ~Type1.BRIDGE_CTL_BUS_RESET;
  }

  /** One register-driven reset starts and finishes a reset of exactly the n functions below. */
  private void checkOneResetReachesAll() {
    AtomicInteger started = new AtomicInteger();
    AtomicInteger finished = new AtomicInteger();
    hierarchy.resetEngine().observer(new ResetObserver() {
      @Override
      public void resetStarted(PciFunction.ResetInProgress reset) {
        started.incrementAndGet();
      }

      @Override
      public void resetFinished(PciFunction.ResetInProgress reset) {
        finished.incrementAndGet();
      }
    });
    sbr();
    hierarchy.resetEngine().observer(null);
    if (started.get() != n || finished.get() != n) {
      throw new IllegalStateException("one bus reset started " + started + " and finished "
          + finished + " resets, expected " + n);
    }
    checkSettled();
  }

  @TearDown(Level.Iteration)
  public void checkSettled() {
    if (clock.pending() != 0) {
      throw new IllegalStateException(clock.pending() + " steps still scheduled at scale 0");
    }
    for (PciFunction f : below) {
      if (!f.settled() || !f.ready()) {
        throw new IllegalStateException(f + " is not ready after the reset");
      }
    }
    if (!port.linkUp()) {
      throw new IllegalStateException("the link below " + port + " did not come back");
    }
  }

  @Benchmark
  public void sbr() {
    port.config().write(Type1.BRIDGE_CONTROL, 2, bridgeControl | Type1.BRIDGE_CTL_BUS_RESET);
    port.config().write(Type1.BRIDGE_CONTROL, 2, bridgeControl);
  }

  @Benchmark
  @Warmup(iterations = 10, time = 1)
  public ResetResult request() {
    return complete(hierarchy.resets().reset(busRequest).getNow(null));
  }

  @Benchmark
  @Warmup(iterations = 10, time = 1)
  public ResetResult requestSaveRestore() {
    return complete(hierarchy.resets().reset(busRequestSaveRestore).getNow(null));
  }

  @Benchmark
  public void routingRepublish() {
    afterReset.routingChanged();
  }

  @Benchmark
  public void routingRepublishEnumerated() {
    enumerated.routingChanged();
  }

  @Benchmark
  public List<PciFunction> subtree() {
    return hierarchy.subtree(port);
  }

  private static ResetResult complete(ResetResult r) {
    if (r == null || !r.complete()) {
      throw new IllegalStateException("a reset at time scale 0 did not complete in the call: "
          + r);
    }
    return r;
  }
}
