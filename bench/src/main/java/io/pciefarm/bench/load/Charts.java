package io.pciefarm.bench.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The result as one SVG a person can look at: latency by percentile (log-log, as HdrHistogram
 * plots it), throughput per operation kind (bars), and throughput over the measured time.
 * Plain SVG 1.1, no script, no external fonts.
 */
final class Charts {
  static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  static final int W = 1200;
  static final int H = 900;

  private Charts() {}

  @SuppressWarnings("unchecked")
  static void write(Path file, Map<String, Object> result) throws IOException {
    List<Map<String, Object>> ops = new ArrayList<>();
    for (Map<String, Object> op : (List<Map<String, Object>>) result.get("operations")) {
      if (((Number) op.get("operations")).longValue() > 0) {
        ops.add(op);
      }
    }
    if (ops.size() > 6) {
      // several workloads (mixed): their headline operations only; the file has the rest
      ops.removeIf(op -> {
        String n = (String) op.get("name");
        return n.contains(".") && !n.startsWith("config.") && !n.endsWith(".cycle");
      });
    }
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\""
        + " height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"DejaVu Sans, Arial, sans-serif\""
        + " font-size=\"12\">%n", W, H, W, H));
    s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    Map<String, Object> opts = (Map<String, Object>) result.get("options");
    Map<String, Object> machine = (Map<String, Object>) result.get("machine");
    Map<String, Object> consistency = (Map<String, Object>) result.get("consistency");
    text(s, 20, 28, 18, "bold", "pciefarm load: " + opts.get("scenario") + " ("
        + opts.get("target") + ")");
    text(s, 20, 48, 12, "normal", subtitle(opts, machine, consistency));

    latencyPanel(s, ops, 70, 80, 640, 380);
    throughputBars(s, ops, 790, 80, 380, 380);
    timelinePanel(s, (List<Map<String, Object>>) result.get("timeline"), ops, 70, 540, 1100,
        300);
    s.append("</svg>\n");
    Files.writeString(file, s.toString());
  }

  private static String subtitle(Map<String, Object> o, Map<String, Object> m,
      Map<String, Object> c) {
    StringBuilder b = new StringBuilder();
    if (o.containsKey("hierarchies")) {
      b.append(num(o.get("hierarchies"))).append(" hierarchies, time scale ")
          .append(num(o.get("time_scale"))).append("; ");
    }
    b.append("concurrency ").append(num(o.get("concurrency")));
    if (String.valueOf(o.get("scenario")).contains("batch")
        || "mixed".equals(o.get("scenario"))) {
      b.append(", batch ").append(num(o.get("batch_size"))).append(" x depth ").append(num(o.get("depth")))
          .append(" x ").append(num(o.get("streams"))).append(" stream(s), wire ")
          .append(o.get("wire"));
    }
    b.append("; ").append(num(m.get("cores"))).append(" cores, load ").append(m.get("load_start"))
        .append(" -> ").append(m.get("load_end")).append("; consistency ")
        .append(Boolean.TRUE.equals(c.get("ok")) ? "OK" : "FAILED");
    return b.toString();
  }

  private static double pctX(double p) {
    double q = Math.min(p, 99.9999);
    return Math.log10(100.0 / (100.0 - q)); // 0 at p0, 1 at p90, 2 at p99 ...
  }

  @SuppressWarnings("unchecked")
  private static void latencyPanel(StringBuilder s, List<Map<String, Object>> ops, int x0,
      int y0, int w, int h) {
    text(s, x0, y0 - 10, 14, "bold", "Latency by percentile");
    double xmax = pctX(99.999) + 0.5;
    double lo = Double.MAX_VALUE;
    double hi = 0;
    for (Map<String, Object> op : ops) {
      for (List<Object> pt : (List<List<Object>>) op.get("percentiles_us")) {
        double v = Math.max(0.1, ((Number) pt.get(1)).doubleValue());
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    if (hi == 0) {
      text(s, x0 + 20, y0 + 40, 12, "normal", "no measured operation");
      return;
    }
    double ylo = Math.floor(Math.log10(lo));
    double yhi = Math.ceil(Math.log10(hi));
    if (yhi == ylo) {
      yhi++;
    }
    frame(s, x0, y0, w, h);
    // y grid: decades
    for (double d = ylo; d <= yhi; d++) {
      double y = y0 + h - (d - ylo) / (yhi - ylo) * h;
      line(s, x0, y, x0 + w, y, "#ddd");
      text(s, x0 - 6, y + 4, 11, "normal", Report.duration(Math.pow(10, d) * 1000), "end");
    }
    String[] labels = {"p0", "p90", "p99", "p99.9", "p99.99", "p99.999", "max"};
    double[] at = {0, 1, 2, 3, 4, 5, xmax};
    for (int i = 0; i < labels.length; i++) {
      double x = x0 + at[i] / xmax * w;
      line(s, x, y0, x, y0 + h, "#ddd");
      text(s, x, y0 + h + 16, 11, "normal", labels[i], "middle");
    }
    text(s, x0 + w / 2.0, y0 + h + 34, 12, "normal", "percentile (log scale of 1/(1-p))",
        "middle");
    int i = 0;
    for (Map<String, Object> op : ops) {
      String color = COLORS[i % COLORS.length];
      StringBuilder pts = new StringBuilder();
      for (List<Object> pt : (List<List<Object>>) op.get("percentiles_us")) {
        double p = ((Number) pt.get(0)).doubleValue();
        double v = Math.max(0.1, ((Number) pt.get(1)).doubleValue());
        double x = x0 + (p >= 100 ? xmax : pctX(p)) / xmax * w;
        double y = y0 + h - (Math.log10(v) - ylo) / (yhi - ylo) * h;
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
      }
      s.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\""
          + " stroke-width=\"2\" points=\"%s\"/>%n", color, pts.toString().trim()));
      // legend in the lower right, where no latency curve goes (high percentiles, low values)
      double ly = y0 + h - 10 - 16 * (ops.size() - 1 - i);
      int lx = x0 + w - 370;
      line(s, lx, ly - 4, lx + 20, ly - 4, color, 3);
      Map<String, Object> lat = (Map<String, Object>) op.get("latency_us");
      text(s, lx + 26, ly, 11, "normal", op.get("name") + "  p50 "
          + Report.duration(((Number) lat.get("p50")).doubleValue() * 1000) + "  p99 "
          + Report.duration(((Number) lat.get("p99")).doubleValue() * 1000) + "  max "
          + Report.duration(((Number) lat.get("max")).doubleValue() * 1000));
      i++;
    }
  }

  private static void throughputBars(StringBuilder s, List<Map<String, Object>> ops, int x0,
      int y0, int w, int h) {
    text(s, x0, y0 - 10, 14, "bold", "Throughput (bars: against the largest of their unit)");
    if (ops.isEmpty()) {
      return;
    }
    // each bar against the largest of the same unit (accesses and resets do not compare)
    Map<Object, Double> maxByUnit = new java.util.HashMap<>();
    for (Map<String, Object> op : ops) {
      maxByUnit.merge(op.get("unit"), ((Number) op.get("units_per_s")).doubleValue(), Math::max);
    }
    int bar = Math.min(34, (h - 10) / ops.size() - 10);
    int i = 0;
    for (Map<String, Object> op : ops) {
      double v = ((Number) op.get("units_per_s")).doubleValue();
      double y = y0 + 10 + i * (bar + 10);
      double max = maxByUnit.get(op.get("unit"));
      double len = max == 0 ? 0 : v / max * (w - 10);
      s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\""
          + " height=\"%d\" fill=\"%s\" opacity=\"0.8\"/>%n", x0, y + 14, Math.max(1, len),
          bar - 14, COLORS[i % COLORS.length]));
      text(s, x0, y + 11, 11, "normal", op.get("name") + ": " + Report.si(v) + " "
          + op.get("unit") + "/s" + errors(op));
      i++;
    }
  }

  @SuppressWarnings("unchecked")
  private static String errors(Map<String, Object> op) {
    Map<String, Object> codes = (Map<String, Object>) op.get("status_codes");
    StringBuilder b = new StringBuilder();
    codes.forEach((k, v) -> {
      if (!"OK".equals(k)) {
        b.append(' ').append(k).append('=').append(num(v));
      }
    });
    ((Map<String, Object>) op.get("unit_errors")).forEach((k, v) ->
        b.append(" access ").append(k).append('=').append(num(v)));
    return b.length() == 0 ? "" : "  (" + b.toString().trim() + ")";
  }

  @SuppressWarnings("unchecked")
  private static void timelinePanel(StringBuilder s, List<Map<String, Object>> timeline,
      List<Map<String, Object>> ops, int x0, int y0, int w, int h) {
    text(s, x0, y0 - 10, 14, "bold", "Throughput over the measured time (units/s per"
        + " progress interval; colours as in the latency legend)");
    if (timeline == null || timeline.isEmpty()) {
      text(s, x0 + 20, y0 + 40, 12, "normal", "no interval recorded");
      return;
    }
    double tmax = 0;
    double vmax = 0;
    double vmin = Double.MAX_VALUE;
    java.util.Set<Object> shown = new java.util.HashSet<>();
    ops.forEach(op -> shown.add(op.get("name")));
    for (Map<String, Object> p : timeline) {
      tmax = Math.max(tmax, ((Number) p.get("t_s")).doubleValue());
      for (var e : ((Map<String, Object>) p.get("units_per_s")).entrySet()) {
        double v = ((Number) e.getValue()).doubleValue();
        if (shown.contains(e.getKey()) && v > 0) {
          vmax = Math.max(vmax, v);
          vmin = Math.min(vmin, v);
        }
      }
    }
    if (tmax == 0 || vmax == 0) {
      return;
    }
    // rates of different units: a log scale when they span more than two decades
    boolean log = vmax / vmin > 100;
    double lo = log ? Math.floor(Math.log10(vmin)) : 0;
    double hi = log ? Math.ceil(Math.log10(vmax)) : vmax;
    frame(s, x0, y0, w, h);
    if (log) {
      for (double d = lo; d <= hi; d++) {
        double y = y0 + h - (d - lo) / (hi - lo) * h;
        line(s, x0, y, x0 + w, y, "#ddd");
        text(s, x0 - 6, y + 4, 11, "normal", Report.si(Math.pow(10, d)), "end");
      }
    } else {
      for (int k = 0; k <= 4; k++) {
        double y = y0 + h - k / 4.0 * h;
        line(s, x0, y, x0 + w, y, "#ddd");
        text(s, x0 - 6, y + 4, 11, "normal", Report.si(vmax * k / 4), "end");
      }
    }
    for (int k = 0; k <= 10; k++) {
      double x = x0 + k / 10.0 * w;
      text(s, x, y0 + h + 16, 11, "normal", String.format(Locale.ROOT,
          tmax < 20 ? "%.1fs" : "%.0fs", tmax * k / 10), "middle");
    }
    int i = 0;
    for (Map<String, Object> op : ops) {
      String name = (String) op.get("name");
      StringBuilder pts = new StringBuilder();
      for (Map<String, Object> p : timeline) {
        Object v = ((Map<String, Object>) p.get("units_per_s")).get(name);
        if (v == null) {
          continue;
        }
        double x = x0 + ((Number) p.get("t_s")).doubleValue() / tmax * w;
        double val = ((Number) v).doubleValue();
        double y = log ? y0 + h - (Math.log10(Math.max(val, Math.pow(10, lo))) - lo) / (hi - lo) * h
            : y0 + h - val / vmax * h;
        pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
      }
      if (pts.length() > 0) {
        s.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\""
            + " stroke-width=\"2\" points=\"%s\"/>%n", COLORS[i % COLORS.length],
            pts.toString().trim()));
      }
      i++;
    }
  }

  /** A number as people write it: 1000, not 1000.0 (result files read back give doubles). */
  static String num(Object v) {
    if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) {
      return Long.toString(d.longValue());
    }
    return String.valueOf(v);
  }

  private static void frame(StringBuilder s, int x, int y, int w, int h) {
    s.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\""
        + " fill=\"none\" stroke=\"#444\"/>%n", x, y, w, h));
  }

  private static void line(StringBuilder s, double x1, double y1, double x2, double y2,
      String color) {
    line(s, x1, y1, x2, y2, color, 1);
  }

  private static void line(StringBuilder s, double x1, double y1, double x2, double y2,
      String color, int width) {
    s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\""
        + " stroke=\"%s\" stroke-width=\"%d\"/>%n", x1, y1, x2, y2, color, width));
  }

  private static void text(StringBuilder s, double x, double y, int size, String weight,
      String text) {
    text(s, x, y, size, weight, text, "start");
  }

  private static void text(StringBuilder s, double x, double y, int size, String weight,
      String text, String anchor) {
    s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\""
        + " font-weight=\"%s\" text-anchor=\"%s\">%s</text>%n", x, y, size, weight, anchor,
        escape(text)));
  }

  private static String escape(String t) {
    return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
