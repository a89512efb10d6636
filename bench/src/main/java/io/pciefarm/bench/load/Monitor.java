package io.pciefarm.bench.load;

import io.pciefarm.topology.Hierarchy;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Samples the run every 100 ms (calls in flight, JVM threads, heap, and for an embedded server
 * the resets running or queued in the engine) and prints a progress line every interval: per
 * operation kind the rate and p50/p99 of that interval, errors by code, calls in flight, load.
 */
final class Monitor implements Runnable {
  static final long SAMPLE_MILLIS = 100;

  private final Workload workload;
  private final Target target;
  private final PrintStream out;
  private final long progressNanos;
  private final boolean tty;
  private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
  private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
  private volatile boolean stop;
  private volatile long measureStart;
  private final long runStart = System.nanoTime();
  private long lastProgress = System.nanoTime();

  long peakInFlight;
  long peakEngineResets;
  int peakThreads;
  long peakHeapBytes;
  int threadsAtStart = Thread.activeCount();
  final List<Map<String, Object>> timeline = new ArrayList<>();
  private final List<Hierarchy> hierarchies;
  private long samples;

  Monitor(Workload workload, Target target, PrintStream out, double progressSeconds) {
    this.workload = workload;
    this.target = target;
    this.out = out;
    this.progressNanos = progressSeconds <= 0 ? Long.MAX_VALUE : (long) (progressSeconds * 1e9);
    this.tty = System.console() != null;
    this.threadsAtStart = threads.getThreadCount();
    this.hierarchies = target.farm() == null ? null : target.farm().list();
  }

  void measuring(long nanos) {
    measureStart = nanos;
  }

  void stop() {
    stop = true;
  }

  @Override
  public void run() {
    while (!stop) {
      try {
        Thread.sleep(SAMPLE_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
      sample();
      long now = System.nanoTime();
      if (now - lastProgress >= progressNanos) {
        progress(now - lastProgress);
        lastProgress = now;
      }
    }
  }

  synchronized void sample() {
    peakInFlight = Math.max(peakInFlight, workload.inFlight());
    peakThreads = Math.max(peakThreads, threads.getThreadCount());
    peakHeapBytes = Math.max(peakHeapBytes, memory.getHeapMemoryUsage().getUsed());
    // the engine's queues every 500 ms only: stats() takes each hierarchy's reset lock
    if (hierarchies != null && samples++ % 5 == 0) {
      long n = 0;
      for (Hierarchy h : hierarchies) {
        var s = h.resets().stats();
        n += s.running() + s.queued();
      }
      peakEngineResets = Math.max(peakEngineResets, n);
    }
  }

  /** The final interval, after the workload stopped. */
  synchronized void finish() {
    long interval = System.nanoTime() - lastProgress;
    if (interval > 200_000_000L) {
      progress(interval);
    }
    if (tty) {
      out.println();
    }
  }

  private synchronized void progress(long intervalNanos) {
    boolean measured = measureStart != 0;
    double t = (System.nanoTime() - runStart) / 1e9;
    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "[%5.1fs %s]", t,
        measured ? "measure" : "warm-up"));
    Map<String, Object> point = new LinkedHashMap<>();
    point.put("t_s", measured ? (System.nanoTime() - measureStart) / 1e9 : -1.0);
    Map<String, Object> rates = new LinkedHashMap<>();
    for (OpStats s : workload.stats()) {
      long[] c = s.intervalCounts();
      Histogram h = s.drain();
      if (c[0] == 0 && h.getTotalCount() == 0) {
        continue;
      }
      double rate = c[1] * 1e9 / intervalNanos;
      rates.put(s.name(), rate);
      if (s.name().contains(".") && !s.name().startsWith("config.")
          && !s.name().endsWith(".cycle")) {
        continue; // sub-kinds: in the result file, not on the line
      }
      line.append(String.format(Locale.ROOT, " | %s %s/s p50 %s p99 %s", s.name(),
          Report.si(rate), Report.duration(h.getValueAtPercentile(50)),
          Report.duration(h.getValueAtPercentile(99))));
      String err = s.errorSummary();
      if (!err.isEmpty()) {
        line.append(" [").append(err).append(']');
      }
    }
    line.append(" | in flight ").append(workload.inFlight());
    line.append(String.format(Locale.ROOT, " | load %.2f", Report.loadAverage()[0]));
    if (measured) {
      point.put("units_per_s", rates);
      point.put("in_flight", workload.inFlight());
      timeline.add(point);
    }
    if (tty) {
      out.print("\r" + line + "   ");
    } else {
      out.println(line);
    }
    out.flush();
  }
}
