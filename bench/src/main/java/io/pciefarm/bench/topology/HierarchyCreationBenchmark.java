package io.pciefarm.bench.topology;

import io.pciefarm.farm.Farm;
import io.pciefarm.proto.v1.HierarchySpec;
import io.pciefarm.time.ManualClock;
import io.pciefarm.time.TimeBase;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.HierarchyBuilder;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Creating one 64-function {@link ServerTopology} hierarchy, firmware-enumerated (the default:
 * bus numbers, windows and BARs assigned, ACS and RRS visibility on) against unprogrammed
 * (left as at reset for a client to enumerate), in the same run:
 * <ul>
 *   <li>{@code build}: {@link HierarchyBuilder#build(HierarchySpec, TimeBase)}: validation,
 *       placement, straps, enumeration, activation (listeners, hot-plug controllers, routing);
 *   <li>{@code farmCreateDelete}: {@link Farm#create} then {@link Farm#delete}, the
 *       CreateHierarchy / DeleteHierarchy pair without gRPC (adds the name and segment claim).
 * </ul>
 * The result is returned so nothing is dead code; each operation's hierarchy is garbage right
 * after, so allocation ({@code -prof gc}) is the creation's whole footprint plus its garbage.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@State(Scope.Thread)
public class HierarchyCreationBenchmark {
  @Param({"enumerated", "unprogrammed"})
  public String mode;

  private HierarchySpec spec;
  private TimeBase timeBase;
  private Farm farm;

  @Setup
  public void setUp() {
    spec = ServerTopology.copy(ServerTopology.template(), 1, mode.equals("unprogrammed"));
    timeBase = new TimeBase(new ManualClock(), 1.0);
    farm = new Farm();
    Hierarchy h = HierarchyBuilder.build(spec, timeBase);
    if (h.functions().size() != ServerTopology.FUNCTIONS) {
      throw new IllegalStateException(h.functions().size() + " functions, expected "
          + ServerTopology.FUNCTIONS);
    }
  }

  @Benchmark
  public Hierarchy build() {
    return HierarchyBuilder.build(spec, timeBase);
  }

  @Benchmark
  public Hierarchy farmCreateDelete() {
    farm.create(spec);
    return farm.delete(spec.getName());
  }
}
