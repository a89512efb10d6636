package io.pciefarm.bench.load;

import io.grpc.Status;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One kind of operation: a latency histogram (HdrHistogram, nanoseconds, 3 significant digits,
 * 1 ns to 10 min), completions, units done (accesses for a batch, 1 otherwise), and outcomes by
 * gRPC status code with the first message of each. Thread-safe: completions are recorded from
 * any thread.
 *
 * <p>Only operations that <em>started</em> after {@link #startMeasuring} count in the result, so
 * the warm-up and the tail of the warm-up's calls stay out of it; the progress line sees all.
 */
public final class OpStats {
  static final long HIGHEST_NANOS = TimeUnit.MINUTES.toNanos(10);

  private final String name;
  private final String unit;
  /** Codes that are part of the contract under this load (e.g. ABORTED for TRY resets). */
  private final Set<Status.Code> expected;
  /** Every completion, for the progress line. */
  private final Recorder live = new Recorder(1, HIGHEST_NANOS, 3);
  /** Completions of measured operations only. */
  private final Recorder measured = new Recorder(1, HIGHEST_NANOS, 3);
  private final Histogram total = new Histogram(1, HIGHEST_NANOS, 3);
  private Histogram interval;
  private final LongAdder liveOps = new LongAdder();
  private final LongAdder liveUnits = new LongAdder();
  private final ConcurrentHashMap<Status.Code, LongAdder> liveErrors = new ConcurrentHashMap<>();
  private final LongAdder ops = new LongAdder();
  private final LongAdder units = new LongAdder();
  private final ConcurrentHashMap<Status.Code, LongAdder> byCode = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Status.Code, String> firstMessage = new ConcurrentHashMap<>();
  /** Per-unit errors inside successful calls (a batch's access errors), by code. */
  private final ConcurrentHashMap<Status.Code, LongAdder> unitErrors = new ConcurrentHashMap<>();
  private volatile boolean on;
  private volatile long measureFrom;
  private long measuredNanos;
  private long lastIntervalOps;
  private long lastIntervalUnits;

  public OpStats(String name, String unit, Set<Status.Code> expected) {
    this.name = name;
    this.unit = unit;
    this.expected = Set.copyOf(expected);
  }

  public String name() {
    return name;
  }

  /** What one unit is: "call", "access", "reset", "cycle". */
  public String unit() {
    return unit;
  }

  public Set<Status.Code> expected() {
    return expected;
  }

  /** From now on completions of operations started at or after {@code nanos} count. */
  public synchronized void startMeasuring(long nanos) {
    measureFrom = nanos;
    on = true;
  }

  public boolean measuring(long startNanos) {
    return on && startNanos - measureFrom >= 0;
  }

  /** A successful operation that started at {@code startNanos} and did {@code n} units. */
  public void ok(long startNanos, long n) {
    long latency = Math.min(Math.max(1, System.nanoTime() - startNanos), HIGHEST_NANOS);
    live.recordValue(latency);
    liveOps.increment();
    liveUnits.add(n);
    if (!measuring(startNanos)) {
      return;
    }
    measured.recordValue(latency);
    ops.increment();
    units.add(n);
    count(byCode, Status.Code.OK, null);
  }

  /** A failed operation (its latency is recorded too: a failure is an answer). */
  public void failed(long startNanos, Status status) {
    long latency = Math.min(Math.max(1, System.nanoTime() - startNanos), HIGHEST_NANOS);
    live.recordValue(latency);
    liveOps.increment();
    liveErrors.computeIfAbsent(status.getCode(), c -> new LongAdder()).increment();
    if (!measuring(startNanos)) {
      return;
    }
    measured.recordValue(latency);
    ops.increment();
    count(byCode, status.getCode(), status.getDescription());
  }

  /** {@code n} units of a successful call that failed with {@code code} (batch access errors). */
  public void unitErrors(long startNanos, Status.Code code, long n, String message) {
    liveErrors.computeIfAbsent(code, c -> new LongAdder()).add(n);
    if (!measuring(startNanos)) {
      return;
    }
    unitErrors.computeIfAbsent(code, c -> new LongAdder()).add(n);
    if (message != null) {
      firstMessage.putIfAbsent(code, message);
    }
  }

  private void count(Map<Status.Code, LongAdder> m, Status.Code code, String message) {
    m.computeIfAbsent(code, c -> new LongAdder()).increment();
    if (message != null) {
      firstMessage.putIfAbsent(code, message);
    }
  }

  /** Moves what was recorded since the last call into the total; returns that interval. */
  public synchronized Histogram drain() {
    interval = live.getIntervalHistogram(interval);
    return interval;
  }

  /** Operations and units since the previous call (for the progress line). */
  public synchronized long[] intervalCounts() {
    long o = liveOps.sum();
    long u = liveUnits.sum();
    long[] r = {o - lastIntervalOps, u - lastIntervalUnits};
    lastIntervalOps = o;
    lastIntervalUnits = u;
    return r;
  }

  /** Fixes the measured wall time once the run is over. */
  public synchronized void measuredNanos(long nanos) {
    measuredNanos = nanos;
  }

  /** Latencies of the measured operations (call once the run is over). */
  public synchronized Histogram total() {
    total.add(measured.getIntervalHistogram());
    return total;
  }

  public long ops() {
    return ops.sum();
  }

  public long units() {
    return units.sum();
  }

  public long measuredNanos() {
    return measuredNanos;
  }

  public double unitsPerSecond() {
    return measuredNanos == 0 ? 0 : units.sum() * 1e9 / measuredNanos;
  }

  public double opsPerSecond() {
    return measuredNanos == 0 ? 0 : ops.sum() * 1e9 / measuredNanos;
  }

  public Map<Status.Code, Long> codes() {
    Map<Status.Code, Long> m = new TreeMap<>();
    byCode.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }

  public Map<Status.Code, Long> unitErrorCodes() {
    Map<Status.Code, Long> m = new TreeMap<>();
    unitErrors.forEach((k, v) -> m.put(k, v.sum()));
    return m;
  }

  public Map<Status.Code, String> messages() {
    return new TreeMap<>(firstMessage);
  }

  public long count(Status.Code code) {
    LongAdder a = byCode.get(code);
    return a == null ? 0 : a.sum();
  }

  /** Failed calls whose code is neither OK nor expected. */
  public long unexpectedErrors() {
    long n = 0;
    for (var e : byCode.entrySet()) {
      if (e.getKey() != Status.Code.OK && !expected.contains(e.getKey())) {
        n += e.getValue().sum();
      }
    }
    return n;
  }

  /** Failures so far, warm-up included, for the progress line: "ABORTED=12 UNAVAILABLE=3". */
  public String errorSummary() {
    StringBuilder b = new StringBuilder();
    liveErrors.forEach((k, v) -> b.append(' ').append(k).append('=').append(v.sum()));
    return b.toString().trim();
  }
}
