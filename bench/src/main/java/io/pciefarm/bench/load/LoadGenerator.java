package io.pciefarm.bench.load;

import io.grpc.Status;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Drives a pciefarm server over gRPC with one scenario, bounded in time and count, and writes
 * the result as JSON and SVG.
 *
 * <pre>
 *   java -cp bench/target/benchmarks.jar io.pciefarm.bench.load.LoadGenerator SCENARIO [options]
 *   bench/load.sh SCENARIO [options]
 * </pre>
 *
 * See {@link Options#USAGE} for the scenarios and options, BENCHMARKS.md for results.
 */
public final class LoadGenerator {
  private LoadGenerator() {}

  public static void main(String[] args) throws Exception {
    if (args.length >= 1 && args[0].equals("--chart")) {
      // redraw the SVG of result files: --chart RESULT.json...
      for (int i = 1; i < args.length; i++) {
        Path json = Path.of(args[i]);
        @SuppressWarnings("unchecked")
        Map<String, Object> result = (Map<String, Object>) Json.parse(
            java.nio.file.Files.readString(json));
        Path svg = Path.of(args[i].replaceAll("\\.json$", "") + ".svg");
        Charts.write(svg, result);
        System.out.println(svg);
      }
      return;
    }
    Options o;
    try {
      o = Options.parse(args);
    } catch (IllegalArgumentException e) {
      if (!e.getMessage().isEmpty()) {
        System.err.println("error: " + e.getMessage());
      }
      System.err.print(Options.USAGE);
      System.exit(e.getMessage().isEmpty() ? 0 : 2);
      return;
    }
    Map<String, Object> result = run(o, System.err);
    System.out.print(Report.summary(result));
    System.out.println("results: " + result.get("json") + " and " + result.get("svg"));
    boolean ok = Boolean.TRUE.equals(((Map<?, ?>) result.get("consistency")).get("ok"));
    System.exit(ok ? 0 : 1);
  }

  /** Runs {@code o} against its target; returns the result (also written to the files). */
  public static Map<String, Object> run(Options o, PrintStream log) throws Exception {
    double[] loadStart = Report.loadAverage();
    long t0 = System.nanoTime();
    log.printf("%s: %s target, %s%n", o.scenario.label(), o.embedded() ? "embedded" : o.server,
        o.embedded() ? o.hierarchies + " generated hierarchies at time scale " + o.timeScale
            : "its own farm");
    try (Target target = o.embedded() ? Target.embedded(o) : Target.external(o)) {
      log.printf("server ready in %.1f s at %s (%s, %d connection(s))%n",
          (System.nanoTime() - t0) / 1e9, target.address(), target.info().getTransport(),
          target.connections());
      return run(o, target, log, loadStart);
    }
  }

  /** Runs {@code o} against an existing target (tests use a split target). */
  static Map<String, Object> run(Options o, Target target, PrintStream log, double[] loadStart)
      throws Exception {
    FarmMap map = FarmMap.discover(target.channel(0));
    log.printf("farm: %d hierarchies, %d reachable functions, %d empty hot-plug slots%n",
        map.hierarchies().size(), map.functions(), map.emptySlots().size());
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "load-timer");
      t.setDaemon(true);
      return t;
    });
    try {
      Workload w = build(o, target, map, timer);
      return drive(o, target, map, w, log, loadStart);
    } finally {
      timer.shutdownNow();
    }
  }

  static Workload build(Options o, Target target, FarmMap map, ScheduledExecutorService timer) {
    Set<Status.Code> none = Set.of();
    return switch (o.scenario) {
      case CONFIG_UNARY -> new ConfigUnary(target, map, o, none);
      case CONFIG_BATCH -> new ConfigBatch(target, map, o, o.streams, 0, none);
      case RESET_STORM -> new ResetStorm(target, map, o, o.concurrency, 0);
      case HOTPLUG_CHURN -> {
        HotPlugChurn c = new HotPlugChurn(target, map, o, o.concurrency, 0, timer);
        c.prepare();
        yield c;
      }
      case MIXED -> {
        // config reads meet functions in reset: per-access Retry Status is expected there
        ConfigBatch config = new ConfigBatch(target, map, o, o.streams, 0,
            Set.of(Status.Code.UNAVAILABLE));
        ResetStorm resets = new ResetStorm(target, map, o, o.concurrency, o.streams);
        HotPlugChurn churn = new HotPlugChurn(target, map, o, o.concurrency,
            o.streams + o.concurrency, timer);
        churn.prepare();
        yield new Composite("mixed", List.of(config, resets, churn));
      }
    };
  }

  static Map<String, Object> drive(Options o, Target target, FarmMap map, Workload w,
      PrintStream log, double[] loadStart) throws Exception {
    Monitor mon = new Monitor(w, target, log, o.progressSeconds);
    Thread monitor = new Thread(mon, "load-monitor");
    monitor.setDaemon(true);
    monitor.start();
    String started = DateTimeFormatter.ISO_INSTANT.format(Instant.now());
    w.start();
    sleepSeconds(o.warmupSeconds);
    CpuMeter cpu = new CpuMeter();
    cpu.start();
    long measureStart = System.nanoTime();
    w.measureFrom(measureStart, o.count);
    mon.measuring(measureStart);
    long end = measureStart + (long) (o.durationSeconds * 1e9);
    while (System.nanoTime() < end && !w.budgetSpent()) {
      Thread.sleep(Math.max(1, Math.min(50, (end - System.nanoTime()) / 1_000_000)));
    }
    w.stop();
    long stopAt = System.nanoTime();
    cpu.stop();
    boolean drained = w.await(o.deadlineMs + 10_000);
    // throughput over the time operations were being issued: the tail's completions belong to
    // operations started before the stop
    long measured = stopAt - measureStart;
    w.stats().forEach(s -> s.measuredNanos(measured));
    mon.stop();
    monitor.join();
    mon.sample();
    mon.finish();
    if (!drained) {
      log.println("warning: operations still in flight " + (o.deadlineMs + 10_000)
          + " ms after the stop: " + w.inFlight());
    }
    log.println("checking the farm's consistency ...");
    Consistency.Result check = Consistency.run(target, map, o);
    double[] loadEnd = Report.loadAverage();

    Map<String, Object> result = new LinkedHashMap<>();
    result.put("tool", "pciefarm load generator");
    result.put("started", started);
    Map<String, Object> machine = new LinkedHashMap<>();
    machine.put("cores", Runtime.getRuntime().availableProcessors());
    machine.put("load_start", loadStart[0]);
    machine.put("load_end", loadEnd[0]);
    machine.put("load_avg_start_1_5_15", List.of(loadStart[0], loadStart[1], loadStart[2]));
    machine.put("load_avg_end_1_5_15", List.of(loadEnd[0], loadEnd[1], loadEnd[2]));
    machine.put("jdk", System.getProperty("java.vm.name") + " "
        + System.getProperty("java.runtime.version"));
    machine.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    machine.put("max_heap_mb", Runtime.getRuntime().maxMemory() >> 20);
    machine.put("jvm_args", ManagementFactory.getRuntimeMXBean().getInputArguments());
    result.put("machine", machine);
    result.put("options", o.describe());
    Map<String, Object> tgt = new LinkedHashMap<>();
    tgt.put("address", target.address());
    tgt.put("embedded", target.embedded());
    tgt.put("server_version", target.info().getVersion());
    tgt.put("transport", target.info().getTransport());
    tgt.put("services", target.info().getServicesList());
    tgt.put("max_streams_per_connection", target.info().getMaxStreamsPerConnection());
    tgt.put("max_batch_accesses", target.info().getMaxBatchAccesses());
    tgt.put("connections", target.connections());
    tgt.put("hierarchies", map.hierarchies().size());
    tgt.put("functions", map.functions());
    result.put("target", tgt);
    List<Object> ops = new ArrayList<>();
    for (OpStats s : w.stats()) {
      ops.add(Report.operation(s));
    }
    result.put("operations", ops);
    Map<String, Object> res = new LinkedHashMap<>();
    res.put("measured_s", measured / 1e9);
    res.put("drained", drained);
    res.put("peak_in_flight", mon.peakInFlight);
    res.put("peak_engine_resets_running_or_queued", target.farm() == null ? null
        : mon.peakEngineResets);
    res.put("threads_at_start", mon.threadsAtStart);
    res.put("peak_threads", mon.peakThreads);
    res.put("peak_heap_mb", mon.peakHeapBytes / 1048576.0);
    result.put("resources", res);
    OpStats head = w.stats().get(0);
    result.put("cpu", cpu.report(head.units(), head.unit()));
    result.put("timeline", mon.timeline);
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("ok", check.ok());
    c.put("settle_ms", check.settleMillis());
    List<Object> checks = new ArrayList<>();
    for (Consistency.Check ch : check.checks()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", ch.name());
      m.put("ok", ch.ok());
      m.put("detail", ch.detail());
      checks.add(m);
    }
    c.put("checks", checks);
    result.put("consistency", c);
    result.put("verdicts", Report.verdicts(o, target, w, mon, check));

    String prefix = o.out != null ? o.out : "bench/results/load-" + o.scenario.label() + "-"
        + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC)
            .format(Instant.now());
    Path json = Path.of(prefix + ".json");
    Path svg = Path.of(prefix + ".svg");
    Report.writeJson(json, result);
    Charts.write(svg, result);
    Map<String, Object> out = new LinkedHashMap<>(result);
    out.put("json", json.toString());
    out.put("svg", svg.toString());
    return out;
  }

  private static void sleepSeconds(double s) throws InterruptedException {
    if (s > 0) {
      Thread.sleep((long) (s * 1000));
    }
  }
}
