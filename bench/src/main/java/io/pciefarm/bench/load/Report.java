package io.pciefarm.bench.load;

import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/** The result: a map written as JSON, a summary for the terminal, and the targets' verdicts. */
final class Report {
  /** Percentiles of the chart's latency curve (and the file's "percentiles" list). */
  static final double[] CURVE = {0, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.95, 99.99,
      99.999, 100};

  private Report() {}

  static double[] loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]),
          Double.parseDouble(f[2])};
    } catch (IOException | RuntimeException e) {
      return new double[] {-1, -1, -1};
    }
  }

  static String si(double v) {
    if (v >= 1e6) {
      return String.format(Locale.ROOT, "%.2fM", v / 1e6);
    }
    if (v >= 1e4) {
      return String.format(Locale.ROOT, "%.1fk", v / 1e3);
    }
    return String.format(Locale.ROOT, "%.0f", v);
  }

  static String duration(double nanos) {
    if (nanos >= 1e9) {
      return String.format(Locale.ROOT, "%.2fs", nanos / 1e9);
    }
    if (nanos >= 1e6) {
      return String.format(Locale.ROOT, "%.2fms", nanos / 1e6);
    }
    return String.format(Locale.ROOT, "%.0fus", nanos / 1e3);
  }

  static Map<String, Object> operation(OpStats s) {
    Histogram h = s.total();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("name", s.name());
    m.put("unit", s.unit());
    m.put("operations", s.ops());
    m.put("units", s.units());
    m.put("seconds", s.measuredNanos() / 1e9);
    m.put("operations_per_s", s.opsPerSecond());
    m.put("units_per_s", s.unitsPerSecond());
    Map<String, Object> lat = new LinkedHashMap<>();
    lat.put("count", h.getTotalCount());
    lat.put("p50", us(h.getValueAtPercentile(50)));
    lat.put("p90", us(h.getValueAtPercentile(90)));
    lat.put("p99", us(h.getValueAtPercentile(99)));
    lat.put("p99_9", us(h.getValueAtPercentile(99.9)));
    lat.put("max", us(h.getMaxValue()));
    lat.put("mean", us(h.getMean()));
    m.put("latency_us", lat);
    List<Object> curve = new ArrayList<>();
    if (h.getTotalCount() > 0) {
      for (double p : CURVE) {
        curve.add(List.of(p, us(p == 100 ? h.getMaxValue() : h.getValueAtPercentile(p))));
      }
    }
    m.put("percentiles_us", curve);
    Map<String, Object> codes = new LinkedHashMap<>();
    s.codes().forEach((k, v) -> codes.put(k.name(), v));
    m.put("status_codes", codes);
    Map<String, Object> unitErrors = new LinkedHashMap<>();
    s.unitErrorCodes().forEach((k, v) -> unitErrors.put(k.name(), v));
    m.put("unit_errors", unitErrors);
    List<String> expected = s.expected().stream().map(Status.Code::name).sorted().toList();
    m.put("expected_codes", expected);
    m.put("unexpected_errors", s.unexpectedErrors());
    Map<String, Object> messages = new LinkedHashMap<>();
    s.messages().forEach((k, v) -> messages.put(k.name(), v));
    m.put("first_message", messages);
    return m;
  }

  private static double us(double nanos) {
    return Math.round(nanos / 10.0) / 100.0;
  }

  /** The targets that this run's conditions test, each with its verdict. */
  static List<Map<String, Object>> verdicts(Options o, Target target, Workload w, Monitor mon,
      Consistency.Result check) {
    List<Map<String, Object>> out = new ArrayList<>();
    Map<String, OpStats> by = new LinkedHashMap<>();
    w.stats().forEach(s -> by.put(s.name(), s));
    switch (o.scenario) {
      case CONFIG_UNARY -> verdict(out, "unary config calls over loopback >= 20,000/s",
          by.get("config.unary").opsPerSecond(), 20_000, true, "calls/s", null);
      case CONFIG_BATCH -> verdict(out, "batched config stream >= 5,000,000 accesses/s",
          by.get("config.batch").unitsPerSecond(), 5_000_000, true, "accesses/s", null);
      case RESET_STORM -> {
        OpStats r = by.get("reset");
        String cond = o.timeScale == 0 && o.hierarchies >= 1000 && o.embedded() ? null
            : "needs --embedded --time-scale 0 --hierarchies 1000";
        if (!o.waitMode) {
          verdict(out, "reset storm at time scale 0 across 1,000 hierarchies >= 20,000 resets/s",
              r.opsPerSecond(), 20_000, true, "resets/s", cond);
          verdict(out, "reset storm p99 < 20 ms", r.total().getValueAtPercentile(99) / 1e6, 20,
              false, "ms", cond);
          verdict(out, "reset storm: no error but ABORTED", r.unexpectedErrors(), 0, false,
              "errors", cond);
        }
        if (o.timeScale == 1 && o.concurrency >= 10_000) {
          verdict(out, "10,000 resets in flight at time scale 1 (peak calls in flight)",
              mon.peakInFlight, 10_000, true, "calls", null);
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("target", "... with bounded threads (JVM peak below 200: no thread per reset)"
              + " and memory");
          m.put("value", String.format(Locale.ROOT, "peak %d threads (%d at start), peak heap"
              + " %.0f MiB", mon.peakThreads, mon.threadsAtStart, mon.peakHeapBytes / 1048576.0));
          m.put("met", mon.peakThreads < 200);
          out.add(m);
        }
      }
      default -> { }
    }
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("target", "farm consistent after the run");
    c.put("value", check.ok() ? "consistent" : "INCONSISTENT");
    c.put("met", check.ok());
    out.add(c);
    return out;
  }

  private static void verdict(List<Map<String, Object>> out, String name, double value,
      double bound, boolean atLeast, String unit, String condition) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("target", name);
    m.put("value", value);
    m.put("unit", unit);
    m.put("met", condition != null ? "n/a: " + condition
        : atLeast ? value >= bound : value < bound || (bound == 0 && value == 0));
    out.add(m);
  }

  static void writeJson(Path file, Map<String, Object> result) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    Files.writeString(file, Json.write(result));
  }

  /** The terminal summary: one line per operation kind, then the check and the verdicts. */
  @SuppressWarnings("unchecked")
  static String summary(Map<String, Object> result) {
    StringBuilder b = new StringBuilder();
    b.append(String.format(Locale.ROOT, "%-20s %10s %14s %10s %10s %10s %10s  %s%n", "operation",
        "ops", "units/s", "p50", "p99", "p99.9", "max", "status codes"));
    for (Map<String, Object> op : (List<Map<String, Object>>) result.get("operations")) {
      Map<String, Object> lat = (Map<String, Object>) op.get("latency_us");
      b.append(String.format(Locale.ROOT, "%-20s %10d %14s %10s %10s %10s %10s  %s%s%n",
          op.get("name"), (Long) op.get("operations"),
          si((Double) op.get("units_per_s")) + " " + op.get("unit"),
          duration((Double) lat.get("p50") * 1000), duration((Double) lat.get("p99") * 1000),
          duration((Double) lat.get("p99_9") * 1000), duration((Double) lat.get("max") * 1000),
          op.get("status_codes"), ((Map<?, ?>) op.get("unit_errors")).isEmpty() ? ""
              : " per access " + op.get("unit_errors")));
    }
    Map<String, Object> cpu = (Map<String, Object>) result.get("cpu");
    if (cpu != null && cpu.get("cpu_us_per_unit") != null) {
      b.append(String.format(Locale.ROOT, "cpu: %.2f of %d cores used on average; %.3f us of"
          + " CPU per %s (client and server together) -> %s %s/s if all %d cores were ours%n",
          (Double) cpu.get("cores_used"), (Integer) cpu.get("cores"),
          (Double) cpu.get("cpu_us_per_unit"), cpu.get("unit"),
          si((Double) cpu.get("units_per_s_at_this_cost_on_all_cores")), cpu.get("unit"),
          (Integer) cpu.get("cores")));
      ((Map<String, Object>) cpu.get("by_threads")).forEach((k, v) -> {
        Map<String, Object> e = (Map<String, Object>) v;
        if ((Double) e.get("cpu_s") > 0) {
          Object bytes = e.get("allocated_bytes_per_unit");
          b.append(String.format(Locale.ROOT, "  %-40s %7.2f s  %8.3f us/%s%s%n", k,
              (Double) e.get("cpu_s"), (Double) e.get("us_per_unit"), cpu.get("unit"),
              bytes == null ? "" : String.format(Locale.ROOT, "  %9.0f B/%s", (Double) bytes,
                  cpu.get("unit"))));
        }
      });
      b.append(String.format(Locale.ROOT, "  GC: %d collections, %d ms%n",
          (Long) cpu.get("gc_collections"), (Long) cpu.get("gc_time_ms")));
    }
    Map<String, Object> c = (Map<String, Object>) result.get("consistency");
    b.append("consistency: ").append(Boolean.TRUE.equals(c.get("ok")) ? "OK" : "FAILED")
        .append(" (settled in ").append(c.get("settle_ms")).append(" ms)\n");
    for (Map<String, Object> ch : (List<Map<String, Object>>) c.get("checks")) {
      b.append("  ").append(Boolean.TRUE.equals(ch.get("ok")) ? "ok  " : "FAIL").append(' ')
          .append(ch.get("name")).append(": ").append(ch.get("detail")).append('\n');
    }
    for (Map<String, Object> v : (List<Map<String, Object>>) result.get("verdicts")) {
      Object value = v.get("value");
      b.append("target: ").append(v.get("target")).append(" -> ")
          .append(value instanceof Double d ? String.format(Locale.ROOT, "%.4g", d) : value)
          .append(v.get("unit") == null ? "" : " " + v.get("unit")).append(": ")
          .append(v.get("met") instanceof Boolean ok ? (ok ? "met" : "MISSED") : v.get("met"))
          .append('\n');
    }
    return b.toString();
  }
}
