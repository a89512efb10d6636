package io.pciefarm.bench.load;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time this process spent over the measured phase, in total and by thread group (the
 * embedded server's event loops and workers, the farm clock, the client's event loops, the rest:
 * GC, JIT, gRPC's shared threads). On a machine others use too, throughput says how much CPU
 * the run was given as much as how fast the code is; CPU per operation does not, so the report
 * gives both, and the capacity two idle cores would have at that cost.
 */
final class CpuMeter {
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final Map<Long, Long> startByThread = new HashMap<>();
  private final Map<Long, String> names = new HashMap<>();
  private long processStart;
  private long wallStart;
  private long processCpu;
  private long wall;
  private final Map<String, Long> byGroup = new LinkedHashMap<>();
  private final Map<Long, Long> allocStart = new HashMap<>();
  private final Map<String, Long> allocByGroup = new LinkedHashMap<>();
  private long gcCountStart;
  private long gcMillisStart;
  private long gcCount;
  private long gcMillis;

  private long allocated(long threadId) {
    if (threads instanceof com.sun.management.ThreadMXBean sun
        && sun.isThreadAllocatedMemorySupported()) {
      return sun.getThreadAllocatedBytes(threadId);
    }
    return -1;
  }

  private static long[] gc() {
    long n = 0;
    long ms = 0;
    for (var g : ManagementFactory.getGarbageCollectorMXBeans()) {
      n += Math.max(0, g.getCollectionCount());
      ms += Math.max(0, g.getCollectionTime());
    }
    return new long[] {n, ms};
  }

  static long processCpuNanos() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof com.sun.management.OperatingSystemMXBean sun) {
      return sun.getProcessCpuTime();
    }
    return -1;
  }

  void start() {
    wallStart = System.nanoTime();
    processStart = processCpuNanos();
    long[] g = gc();
    gcCountStart = g[0];
    gcMillisStart = g[1];
    for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (t != null) {
        startByThread.put(t.getThreadId(), threads.getThreadCpuTime(t.getThreadId()));
        allocStart.put(t.getThreadId(), allocated(t.getThreadId()));
        names.put(t.getThreadId(), t.getThreadName());
      }
    }
  }

  void stop() {
    wall = System.nanoTime() - wallStart;
    processCpu = processCpuNanos() - processStart;
    long[] g = gc();
    gcCount = g[0] - gcCountStart;
    gcMillis = g[1] - gcMillisStart;
    long attributed = 0;
    for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (t == null) {
        continue;
      }
      long now = threads.getThreadCpuTime(t.getThreadId());
      if (now < 0) {
        continue;
      }
      long used = now - startByThread.getOrDefault(t.getThreadId(), 0L);
      byGroup.merge(group(t.getThreadName()), used, Long::sum);
      attributed += used;
      long bytes = allocated(t.getThreadId());
      if (bytes >= 0) {
        allocByGroup.merge(group(t.getThreadName()),
            bytes - allocStart.getOrDefault(t.getThreadId(), 0L), Long::sum);
      }
    }
    byGroup.put("other (GC, JIT, exited threads)", Math.max(0, processCpu - attributed));
  }

  static String group(String thread) {
    if (thread.startsWith("pciefarm-io")) {
      return "server event loops";
    }
    if (thread.startsWith("pciefarm-farm")) {
      return "server farm workers";
    }
    if (thread.startsWith("pciefarm-clock") || thread.startsWith("pciefarm-accept")) {
      return "farm clock, accept";
    }
    if (thread.startsWith("load-client")) {
      return "client event loops";
    }
    if (thread.startsWith("load-")) {
      return "load generator (monitor, timer)";
    }
    if (thread.startsWith("grpc-")) {
      return "grpc shared (timer, default executor)";
    }
    return "other threads";
  }

  /** The measured phase's CPU: cores used on average, and microseconds per unit of work. */
  Map<String, Object> report(long units, String unit) {
    Map<String, Object> m = new LinkedHashMap<>();
    int cores = Runtime.getRuntime().availableProcessors();
    m.put("process_cpu_s", processCpu / 1e9);
    m.put("wall_s", wall / 1e9);
    m.put("cores_used", wall == 0 ? 0 : processCpu / (double) wall);
    m.put("cores", cores);
    m.put("unit", unit);
    m.put("cpu_us_per_unit", units == 0 ? null : processCpu / 1e3 / units);
    m.put("units_per_s_at_this_cost_on_all_cores", processCpu == 0 ? null
        : units * 1e9 * cores / processCpu);
    Map<String, Object> g = new LinkedHashMap<>();
    byGroup.forEach((k, v) -> {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("cpu_s", v / 1e9);
      e.put("us_per_unit", units == 0 ? null : v / 1e3 / units);
      Long bytes = allocByGroup.get(k);
      if (bytes != null) {
        e.put("allocated_bytes_per_unit", units == 0 ? null : bytes / (double) units);
      }
      g.put(k, e);
    });
    m.put("by_threads", g);
    m.put("gc_collections", gcCount);
    m.put("gc_time_ms", gcMillis);
    return m;
  }
}
