package io.pciefarm.bench.topology;

import io.pciefarm.farm.Farm;
import io.pciefarm.proto.v1.HierarchySpec;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.management.ObjectName;

/**
 * How many hierarchies fit on one server, and how fast they are created: builds N copies
 * (default 10,000) of the 64-function {@link ServerTopology} in one {@link Farm}, each with its
 * own name and segment, through {@link Farm#create} as the CreateHierarchy RPC does, and
 * reports
 * <ul>
 *   <li>total creation time, and the median / p99 / max of the per-hierarchy times (each
 *       {@code Farm.create} call timed on its own; the JIT warms up during the first copies, so
 *       the total includes that and the median does not);
 *   <li>retained heap: used heap after repeated {@code System.gc()} with the farm full, minus
 *       the same before it was created, per hierarchy and per function;
 *   <li>with {@code --histo}, the class histogram difference (after minus before): which classes
 *       hold that heap, in bytes and instances per function; and, per model, the copy-on-write
 *       config-space arrays each function holds privately ({@link FootprintBreakdown});
 *   <li>a check that every hierarchy is there and answers config reads: every function the
 *       first copy can reach (all 64 when enumerated, the 16 on bus 0 when unprogrammed) is
 *       read at 0x00, 0x08, 0x10 and 0x18 in every copy and must give the model's IDs and the
 *       first copy's values, and an address with no function must read all ones.
 * </ul>
 *
 * <pre>
 * java -Xmx4g -cp bench/target/benchmarks.jar io.pciefarm.bench.topology.ScaleBenchmark \
 *     [hierarchies] [--unprogrammed] [--histo] [--top K]
 * </pre>
 * Exit status 0 when everything was created and checked, 1 when a check failed, 3 when the
 * heap ran out (the output names how many hierarchies were created by then).
 */
public final class ScaleBenchmark {
  private static final int[] PROBE_OFFSETS = {0x00, 0x08, 0x10, 0x18};

  private ScaleBenchmark() {}

  public static void main(String[] args) throws Exception {
    int n = 10_000;
    boolean unprogrammed = false;
    boolean histo = false;
    int top = 15;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--unprogrammed" -> unprogrammed = true;
        case "--histo" -> histo = true;
        case "--top" -> top = Integer.parseInt(args[++i]);
        case "-h", "--help" -> {
          System.out.println("usage: ScaleBenchmark [hierarchies] [--unprogrammed] [--histo]"
              + " [--top K]");
          return;
        }
        default -> n = Integer.parseInt(args[i]);
      }
    }
    if (n < 1 || n > 0x10000) {
      throw new IllegalArgumentException("hierarchies must be 1..65536 (one segment each)");
    }
    HierarchySpec template = ServerTopology.template();
    printEnvironment(n, unprogrammed);

    long heapBefore = settledHeapUsed();
    Map<String, long[]> histoBefore = histo ? histogram() : null;
    long[] gcBefore = gcCountAndMillis();

    Farm farm = new Farm();
    long[] nanos = new long[n];
    long wallStart = System.nanoTime();
    int created = 0;
    try {
      for (int i = 0; i < n; i++) {
        HierarchySpec spec = ServerTopology.copy(template, i, unprogrammed);
        long t0 = System.nanoTime();
        farm.create(spec);
        nanos[i] = System.nanoTime() - t0;
        created++;
      }
    } catch (OutOfMemoryError e) {
      farm = null;
      System.gc();
      System.out.printf(Locale.ROOT, "OUT OF MEMORY after %d of %d hierarchies (max heap %d MiB)%n",
          created, n, Runtime.getRuntime().maxMemory() >> 20);
      System.exit(3);
    }
    long wall = System.nanoTime() - wallStart;
    long[] gcAfter = gcCountAndMillis();

    long heapAfter = settledHeapUsed();
    Map<String, long[]> histoAfter = histo ? histogram() : null;

    long functions = 0;
    for (Hierarchy h : farm.list()) {
      functions += h.functions().size();
    }
    long verifyStart = System.nanoTime();
    Verification v = verify(farm, n);
    long verifyNanos = System.nanoTime() - verifyStart;

    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    long retained = heapAfter - heapBefore;
    System.out.println();
    System.out.printf(Locale.ROOT, "hierarchies created        %,d (%s), %,d functions (%d each)%n",
        n, unprogrammed ? "unprogrammed" : "firmware-enumerated", functions,
        ServerTopology.FUNCTIONS);
    System.out.printf(Locale.ROOT, "total creation time        %.2f s (sum of create calls %.2f s)%n",
        wall / 1e9, Arrays.stream(nanos).sum() / 1e9);
    System.out.printf(Locale.ROOT, "per hierarchy              median %.1f us, p90 %.1f us,"
        + " p99 %.1f us, max %.1f ms; first 100 mean %.1f us%n",
        pct(sorted, 50) / 1e3, pct(sorted, 90) / 1e3, pct(sorted, 99) / 1e3,
        sorted[n - 1] / 1e6, Arrays.stream(nanos, 0, Math.min(100, n)).average().orElse(0) / 1e3);
    System.out.printf(Locale.ROOT, "per function (median/64)   %.2f us%n",
        pct(sorted, 50) / 1e3 / ServerTopology.FUNCTIONS);
    System.out.printf(Locale.ROOT, "GC during creation         %d collections, %d ms%n",
        gcAfter[0] - gcBefore[0], gcAfter[1] - gcBefore[1]);
    System.out.printf(Locale.ROOT, "heap used before / after   %.1f MiB / %.1f MiB (after System.gc())%n",
        heapBefore / 1048576.0, heapAfter / 1048576.0);
    System.out.printf(Locale.ROOT, "retained heap              %.1f MiB total, %,d B per hierarchy,"
        + " %,d B per function%n",
        retained / 1048576.0, retained / n, retained / functions);
    System.out.printf(Locale.ROOT, "verification               %s: %,d hierarchies, %,d reads"
        + " (%d reachable functions x %d offsets + 1 absent each) in %.1f ms%n",
        v.failures.isEmpty() ? "OK" : "FAILED", v.hierarchies, v.reads, v.probes,
        PROBE_OFFSETS.length, verifyNanos / 1e6);
    for (String f : v.failures.subList(0, Math.min(10, v.failures.size()))) {
      System.out.println("  " + f);
    }
    if (histo) {
      printHistogramDiff(histoBefore, histoAfter, functions, top);
      FootprintBreakdown.print(farm.bySegment(0));
    }
    System.out.println();
    System.out.println("| hierarchies | functions | mode | -Xmx | total | median | p99 | max"
        + " | heap/function | heap total | check |");
    System.out.println("|---|---|---|---|---|---|---|---|---|---|---|");
    System.out.printf(Locale.ROOT, "| %,d | %,d | %s | %s | %.2f s | %.1f µs | %.1f µs | %.1f ms"
        + " | %,d B | %.0f MiB | %s |%n",
        n, functions, unprogrammed ? "unprogrammed" : "enumerated", maxHeap(), wall / 1e9,
        pct(sorted, 50) / 1e3, pct(sorted, 99) / 1e3, sorted[n - 1] / 1e6, retained / functions,
        retained / 1048576.0, v.failures.isEmpty() ? "OK" : "FAILED");
    Reference.reachabilityFence(farm);
    if (!v.failures.isEmpty() || functions != (long) n * ServerTopology.FUNCTIONS) {
      System.exit(1);
    }
  }

  /** What the check found. */
  private record Verification(int hierarchies, long reads, int probes, List<String> failures) {}

  /**
   * Reads, in every hierarchy, every address the first copy answers at, through the config
   * path ({@link Farm#bySegment}, {@link Hierarchy#read}).
   */
  private static Verification verify(Farm farm, int n) {
    List<String> failures = new ArrayList<>();
    Hierarchy ref = farm.bySegment(0);
    List<int[]> probes = new ArrayList<>(); // bus, dev, fn, expected ID dword, then ref values
    for (PciFunction f : ref.functions()) {
      PciAddress a = f.address();
      if (a == null) {
        continue;
      }
      int[] p = new int[4 + PROBE_OFFSETS.length];
      p[0] = a.bus();
      p[1] = a.device();
      p[2] = a.function();
      p[3] = f.model().deviceId() << 16 | f.model().vendorId();
      for (int k = 0; k < PROBE_OFFSETS.length; k++) {
        p[4 + k] = ref.read(a.bus(), a.device(), a.function(), PROBE_OFFSETS[k], 4);
      }
      probes.add(p);
    }
    long reads = 0;
    int seen = 0;
    for (int s = 0; s < n; s++) {
      Hierarchy h = farm.bySegment(s);
      if (h == null || !h.name().equals("server-" + s)) {
        failures.add("segment " + s + ": " + (h == null ? "no hierarchy" : h.name()));
        continue;
      }
      seen++;
      if (h.functions().size() != ServerTopology.FUNCTIONS) {
        failures.add(h.name() + ": " + h.functions().size() + " functions");
      }
      for (int[] p : probes) {
        for (int k = 0; k < PROBE_OFFSETS.length; k++) {
          int got = h.read(p[0], p[1], p[2], PROBE_OFFSETS[k], 4);
          reads++;
          int want = k == 0 ? p[3] : p[4 + k];
          if (got != want || (k == 0 && got != p[4])) {
            failures.add(String.format("%s %02x:%02x.%d @%03x: read %08x, expected %08x",
                h.name(), p[0], p[1], p[2], PROBE_OFFSETS[k], got, want));
          }
        }
      }
      int absent = h.read(0, 31, 7, 0, 4); // no function there: master abort
      reads++;
      if (absent != 0xFFFF_FFFF) {
        failures.add(h.name() + " 00:1f.7: read " + Integer.toHexString(absent)
            + ", expected ffffffff");
      }
    }
    if (farm.size() != n) {
      failures.add("farm holds " + farm.size() + " hierarchies, expected " + n);
    }
    return new Verification(seen, reads, probes.size(), failures);
  }

  private static long pct(long[] sorted, double p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  /** Used heap after collecting until it stops shrinking (at most 8 full GCs): live data. */
  static long settledHeapUsed() throws InterruptedException {
    MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 8; i++) {
      System.gc();
      Thread.sleep(20);
      long used = mem.getHeapMemoryUsage().getUsed();
      if (used >= best && i >= 3) {
        break;
      }
      best = Math.min(best, used);
    }
    return best;
  }

  private static long[] gcCountAndMillis() {
    long count = 0;
    long millis = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      count += Math.max(0, gc.getCollectionCount());
      millis += Math.max(0, gc.getCollectionTime());
    }
    return new long[] {count, millis};
  }

  private static final Pattern HISTO_LINE = Pattern.compile(
      "^\\s*\\d+:\\s+(\\d+)\\s+(\\d+)\\s+(\\S+).*$");

  /** {@code jcmd <pid> GC.class_histogram} from inside: class -> {instances, bytes}. */
  static Map<String, long[]> histogram() throws Exception {
    String out = (String) ManagementFactory.getPlatformMBeanServer().invoke(
        new ObjectName("com.sun.management:type=DiagnosticCommand"), "gcClassHistogram",
        new Object[] {new String[0]}, new String[] {String[].class.getName()});
    Map<String, long[]> m = new HashMap<>();
    for (String line : out.split("\n")) {
      Matcher x = HISTO_LINE.matcher(line);
      if (x.matches()) {
        m.merge(x.group(3), new long[] {Long.parseLong(x.group(1)), Long.parseLong(x.group(2))},
            (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]});
      }
    }
    return m;
  }

  private static void printHistogramDiff(Map<String, long[]> before, Map<String, long[]> after,
      long functions, int top) {
    List<Map.Entry<String, long[]>> diff = new ArrayList<>();
    long total = 0;
    for (Map.Entry<String, long[]> e : after.entrySet()) {
      long[] b = before.getOrDefault(e.getKey(), new long[2]);
      long[] d = {e.getValue()[0] - b[0], e.getValue()[1] - b[1]};
      total += d[1];
      diff.add(Map.entry(e.getKey(), d));
    }
    diff.sort((x, y) -> Long.compare(y.getValue()[1], x.getValue()[1]));
    System.out.println();
    System.out.printf(Locale.ROOT, "class histogram, after minus before (%,d B total = %,d B per"
        + " function):%n", total, total / functions);
    System.out.println("| class | instances/function | bytes/function | share |");
    System.out.println("|---|---|---|---|");
    for (Map.Entry<String, long[]> e : diff.subList(0, Math.min(top, diff.size()))) {
      long[] d = e.getValue();
      System.out.printf(Locale.ROOT, "| `%s` | %.2f | %.1f | %.1f %% |%n", e.getKey(),
          d[0] / (double) functions, d[1] / (double) functions, 100.0 * d[1] / total);
    }
  }

  private static String maxHeap() {
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("-Xmx")) {
        return a.substring(4);
      }
    }
    return (Runtime.getRuntime().maxMemory() >> 20) + "m (default)";
  }

  private static void printEnvironment(int n, boolean unprogrammed) {
    var rt = ManagementFactory.getRuntimeMXBean();
    List<String> gcs = new ArrayList<>();
    ManagementFactory.getGarbageCollectorMXBeans().forEach(g -> gcs.add(g.getName()));
    System.out.printf(Locale.ROOT, "ScaleBenchmark: %,d x %d-function hierarchies (%s)%n", n,
        ServerTopology.FUNCTIONS, unprogrammed ? "unprogrammed" : "firmware-enumerated");
    System.out.printf(Locale.ROOT, "JVM %s %s, %d CPUs, max heap %d MiB, GC %s, args %s%n",
        rt.getVmName(), System.getProperty("java.runtime.version"),
        Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20,
        gcs, rt.getInputArguments());
  }
}
