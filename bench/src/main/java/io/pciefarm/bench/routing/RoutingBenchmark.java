package io.pciefarm.bench.routing;

import io.pciefarm.bench.load.FarmSpecs;
import io.pciefarm.farm.Farm;
import io.pciefarm.proto.v1.HierarchySpec;
import io.pciefarm.time.ManualClock;
import io.pciefarm.time.TimeBase;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Config routing in a farm of generated hierarchies ({@link FarmSpecs}: 14 functions each, a
 * switch two levels down), and the whole in-process config access it serves, against a
 * {@link ConcurrentHashMap} baseline in the same run: the obvious alternative to the engine's
 * published {@code Routing} snapshot (bus number to bus, one array load; bus to function, one
 * array load) and {@code Farm.bySegment} (one {@code AtomicReferenceArray} load).
 *
 * <ul>
 *   <li>{@code lookup}: {@code Hierarchy.lookup(bus, devfn)} on a known hierarchy; twin
 *       {@code lookup_map}: that hierarchy's map from {@code bus << 8 | devfn} to function;
 *   <li>{@code farmLookup}: {@code Farm.bySegment(segment).lookup(bus, devfn)}; twin
 *       {@code farmLookup_map}: one map over the whole farm from the packed address;
 *   <li>{@code farmRead}: {@code Farm.bySegment(segment).read(bus, device, function, offset,
 *       4)}, the whole in-process config read (validation, routing, readiness, register);
 *       twin {@code farmRead_map}: the map, then the same {@code PciFunction.read};
 *   <li>{@code farmWrite}: {@code Hierarchy.write} of Interrupt Line (0x3C, a plain RW byte),
 *       a changing value; twin {@code farmWrite_map};
 *   <li>{@code farmReaders} / {@code farmReaders_map}: two threads doing {@code farmRead};
 *   <li>{@code rerouting} (reference, no twin): one thread looks functions of hierarchy 0 up
 *       while another republishes that hierarchy's routing ({@code routingChanged}, what a
 *       bus-number or Secondary Bus Reset write does) in a loop: the cost readers pay for a
 *       snapshot replaced under them, and the rate of republishing.
 * </ul>
 *
 * Targets are drawn in set-up, 1024 per thread among every reachable function of the farm
 * (hierarchy 0's for {@code rerouting}), and walked by a cursor, as in the config-space
 * benchmark.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RoutingBenchmark {
  static final int SLOTS = 1024;
  static final int MASK = SLOTS - 1;

  /** The farm and the baseline maps. */
  @State(Scope.Benchmark)
  public static class FarmState {
    @Param({"1000"})
    public int hierarchies;

    public Farm farm;
    public List<PciFunction> reachable = new ArrayList<>();
    /** Per segment: {@code bus << 8 | devfn} to function. */
    public List<Map<Integer, PciFunction>> perHierarchy = new ArrayList<>();
    /** The whole farm: packed address to function. */
    public Map<Integer, PciFunction> farmMap = new ConcurrentHashMap<>();

    @Setup(Level.Trial)
    public void setUp() {
      farm = new Farm(new TimeBase(new ManualClock(), 0));
      for (HierarchySpec spec : FarmSpecs.farm(hierarchies, 0)) {
        farm.create(spec);
      }
      for (Hierarchy h : farm.list()) {
        Map<Integer, PciFunction> m = new ConcurrentHashMap<>();
        for (PciFunction f : h.functions()) {
          PciAddress a = f.address();
          if (a == null) {
            continue;
          }
          reachable.add(f);
          m.put(a.bus() << 8 | a.devfn(), f);
          farmMap.put(a.segment() << 16 | a.bus() << 8 | a.devfn(), f);
        }
        perHierarchy.add(m);
      }
      if (reachable.size() != hierarchies * FarmSpecs.FUNCTIONS_PER_HIERARCHY) {
        throw new IllegalStateException(reachable.size() + " reachable functions, expected "
            + hierarchies * FarmSpecs.FUNCTIONS_PER_HIERARCHY);
      }
    }
  }

  /** Padding before the cursor, as in the config-space benchmark. */
  abstract static class CursorPadding {
    int p00;
    long p01;
    long p02;
    long p03;
    long p04;
    long p05;
    long p06;
    long p07;
    long p08;
  }

  /** Per-thread targets and the cursor walking them. */
  @State(Scope.Thread)
  public static class Cursor extends CursorPadding {
    public int dwordWidth = 4;
    public int byteWidth = 1;
    public int interruptLine = 0x3C;
    Hierarchy[] hierarchy = new Hierarchy[SLOTS];
    Map<?, ?>[] hierarchyMap = new Map<?, ?>[SLOTS];
    int[] segment = new int[SLOTS];
    int[] bus = new int[SLOTS];
    int[] device = new int[SLOTS];
    int[] function = new int[SLOTS];
    int[] devfn = new int[SLOTS];
    int[] offset = new int[SLOTS];
    int[] value = new int[SLOTS];
    /** Boxed once here, so the baseline's lookups allocate nothing. */
    Integer[] key = new Integer[SLOTS];
    Integer[] farmKey = new Integer[SLOTS];
    int i;

    @Setup(Level.Trial)
    public void setUp(FarmState s, ThreadParams thread) {
      fill(s, s.reachable, new Random(0xF00DL + thread.getThreadIndex()));
    }

    void fill(FarmState s, List<PciFunction> from, Random r) {
      for (int k = 0; k < SLOTS; k++) {
        PciFunction f = from.get(r.nextInt(from.size()));
        PciAddress a = f.address();
        hierarchy[k] = f.hierarchy();
        hierarchyMap[k] = s.perHierarchy.get(a.segment());
        segment[k] = a.segment();
        bus[k] = a.bus();
        device[k] = a.device();
        function[k] = a.function();
        devfn[k] = a.devfn();
        offset[k] = 4 * r.nextInt(64);
        value[k] = k & 0xFF; // consecutive writes always change the byte
        key[k] = a.bus() << 8 | a.devfn();
        farmKey[k] = a.segment() << 16 | a.bus() << 8 | a.devfn();
      }
      i = r.nextInt(SLOTS);
    }

    int next() {
      int k = (i + 1) & MASK;
      i = k;
      return k;
    }
  }

  /** Targets in hierarchy 0 only, for {@code rerouting}. */
  @State(Scope.Thread)
  public static class HotCursor extends Cursor {
    @Override
    @Setup(Level.Trial)
    public void setUp(FarmState s, ThreadParams thread) {
      List<PciFunction> h0 = new ArrayList<>();
      for (PciFunction f : s.reachable) {
        if (f.hierarchy().segment() == 0) {
          h0.add(f);
        }
      }
      fill(s, h0, new Random(0xBEEFL + thread.getThreadIndex()));
    }
  }

  // ---- lookup ----

  @Benchmark
  public PciFunction lookup(Cursor c) {
    int k = c.next();
    return c.hierarchy[k].lookup(c.bus[k], c.devfn[k]);
  }

  @Benchmark
  public Object lookup_map(Cursor c) {
    int k = c.next();
    return c.hierarchyMap[k].get(c.key[k]);
  }

  @Benchmark
  public PciFunction farmLookup(FarmState s, Cursor c) {
    int k = c.next();
    return s.farm.bySegment(c.segment[k]).lookup(c.bus[k], c.devfn[k]);
  }

  @Benchmark
  public PciFunction farmLookup_map(FarmState s, Cursor c) {
    int k = c.next();
    return s.farmMap.get(c.farmKey[k]);
  }

  // ---- the whole in-process access ----

  @Benchmark
  public int farmRead(FarmState s, Cursor c) {
    int k = c.next();
    return s.farm.bySegment(c.segment[k]).read(c.bus[k], c.device[k], c.function[k],
        c.offset[k], c.dwordWidth);
  }

  @Benchmark
  public int farmRead_map(FarmState s, Cursor c) {
    int k = c.next();
    return s.farmMap.get(c.farmKey[k]).read(c.offset[k], c.dwordWidth);
  }

  @Benchmark
  public void farmWrite(FarmState s, Cursor c) {
    int k = c.next();
    s.farm.bySegment(c.segment[k]).write(c.bus[k], c.device[k], c.function[k],
        c.interruptLine, c.byteWidth, c.value[k]);
  }

  @Benchmark
  public void farmWrite_map(FarmState s, Cursor c) {
    int k = c.next();
    s.farmMap.get(c.farmKey[k]).write(c.interruptLine, c.byteWidth, c.value[k]);
  }

  // ---- two threads ----

  @Benchmark
  @Group("farmReaders")
  @GroupThreads(2)
  public int farmReaders(FarmState s, Cursor c) {
    return farmRead(s, c);
  }

  @Benchmark
  @Group("farmReaders_map")
  @GroupThreads(2)
  public int farmReaders_map(FarmState s, Cursor c) {
    return farmRead_map(s, c);
  }

  @Benchmark
  @Group("rerouting")
  @GroupThreads(1)
  public PciFunction rerouting_lookup(FarmState s, HotCursor c) {
    int k = c.next();
    return s.farm.bySegment(c.segment[k]).lookup(c.bus[k], c.devfn[k]);
  }

  @Benchmark
  @Group("rerouting")
  @GroupThreads(1)
  public void rerouting_republish(FarmState s) {
    s.farm.bySegment(0).routingChanged();
  }
}
