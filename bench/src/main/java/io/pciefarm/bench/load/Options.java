package io.pciefarm.bench.load;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The load generator's command line. Every option has a default; see {@link #USAGE}. */
public final class Options {
  public static final String USAGE = """
      usage: LoadGenerator SCENARIO [options]
             LoadGenerator --chart RESULT.json...   (redraws RESULT.svg from the file)

      scenarios:
        config-unary    unary Read (and Write) calls, --concurrency in flight
        config-batch    Batch streams: --streams streams, --depth batches in flight each,
                        --batch-size accesses per batch
        reset-storm     --concurrency clients resetting across the hierarchies (--mix, --mode,
                        --contended, --hot)
        hotplug-churn   one loop per empty hot-plug slot (at most --concurrency): insert, power
                        on through Slot Control, surprise remove, power off
        mixed           config-batch (1 stream), reset-storm and hotplug-churn at once

      target (one of):
        --embedded             start a server in this process on loopback (default)
        --server HOST:PORT     an external server (loopback addresses only)

      embedded farm and server:
        --hierarchies H        generated hierarchies, 14 functions each (default 100)
        --time-scale S         0 = every delay instant, 1 = real time (default 0)
        --server-event-loops N Netty event loops of the server (default: cores)
        --server-max-streams N concurrent calls per connection (default 64, the server's)
        --server-workers T,Q   farm worker threads and queue (default 2,16384, the server's)

      bounds (the run stops at whichever comes first):
        --duration SECONDS     measured time (default 10)
        --count N              measured operations (default: no bound); operations the
                               clients issued as the warm-up ended may add one per client
        --warmup SECONDS       unmeasured time before, for the JIT (default 10; on a busy
                               2-core machine C2 needs that long: with 3 s the CPU per call
                               measured 10x higher)

      load:
        --concurrency K        unary calls / reset clients in flight (default 64)
        --connections C        gRPC connections (default: enough for K at the server's
                               streams-per-connection limit, at least 1)
        --client-event-loops N Netty event loops of the client (default 1)
        --read-fraction F      config scenarios: share of reads; writes go to Interrupt Line
                               (0x3C), a plain RW byte (default 1.0)
        --batch-size B         accesses per batch (default 1024)
        --depth D              batches in flight per stream (default 4)
        --streams S            Batch streams (default 1)
        --wire proto|prebuilt  config-batch: encode every batch with protobuf (proto, default)
                               or send batches pre-encoded once (isolates the server's cost)
        --mix flr=60,bus=20,slot=20  reset methods' shares (FLR of a drive, secondary bus
                               reset of a port's bus or the switch's, slot reset)
        --mode try|wait        TRY: an overlapping reset fails with ABORTED (default); WAIT:
                               it queues
        --contended F          share of resets aimed at the --hot hierarchies (default 0.1)
        --hot N                hierarchies every client contends for (default 4)
        --wait-ready B         resets return once every function is ready (default true)
        --save-restore B       save and restore the functions' config around each reset, as
                               Linux does (default true; without it a bus reset above the
                               switch clears the downstream ports' bus numbers and the drives
                               below become unreachable, as on hardware)
        --request-ids B        resets and hot-plug actions carry a fresh request_id, as a
                               client that retries safely does (default true; the server
                               keeps each outcome for 10 minutes, up to 100,000)
        --deadline-ms MS       deadline of every call (default 30000)
        --churn-model M        card the churn inserts (default nvme-ssd)

      output:
        --out PREFIX           PREFIX.json and PREFIX.svg (default
                               bench/results/load-SCENARIO-TIMESTAMP)
        --progress SECONDS     progress line interval, 0 for none (default 1)
        --settle-seconds S     longest wait for the farm to settle before the check (default 70)
      """;

  /** What the run drives. */
  public enum Scenario {
    CONFIG_UNARY, CONFIG_BATCH, RESET_STORM, HOTPLUG_CHURN, MIXED;

    public String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    static Scenario parse(String s) {
      for (Scenario v : values()) {
        if (v.label().equals(s)) {
          return v;
        }
      }
      throw new IllegalArgumentException("unknown scenario '" + s + "'");
    }
  }

  /** The reset kinds of the storm's mix. */
  public enum ResetKind { FLR, BUS, SLOT }

  public Scenario scenario;
  public String server; // null: embedded
  public int hierarchies = 100;
  public double timeScale = 0;
  public int serverEventLoops = Math.max(1, Runtime.getRuntime().availableProcessors());
  public int serverMaxStreams = 64;
  public int serverWorkerThreads = 2;
  public int serverWorkerQueue = io.pciefarm.grpc.PcieFarmServer.DEFAULT_WORKER_QUEUE;
  public double durationSeconds = 10;
  public long count = Long.MAX_VALUE;
  public double warmupSeconds = 10;
  public int concurrency = 64;
  public int connections = 0; // 0: auto
  public int clientEventLoops = 1;
  public double readFraction = 1.0;
  public int batchSize = 1024;
  public int depth = 4;
  public int streams = 1;
  public boolean prebuilt = false;
  public final Map<ResetKind, Integer> mix = new EnumMap<>(ResetKind.class);
  public boolean waitMode = false;
  public double contended = 0.1;
  public int hot = 4;
  public boolean waitReady = true;
  public boolean saveRestore = true;
  public boolean requestIds = true;
  public long deadlineMs = 30_000;
  public String churnModel = "nvme-ssd";
  public String out;
  public double progressSeconds = 1;
  public double settleSeconds = 70;

  public Options() {
    mix.put(ResetKind.FLR, 60);
    mix.put(ResetKind.BUS, 20);
    mix.put(ResetKind.SLOT, 20);
  }

  public boolean embedded() {
    return server == null;
  }

  /** @throws IllegalArgumentException with a message for people */
  public static Options parse(String... args) {
    Options o = new Options();
    List<String> rest = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (!a.startsWith("--")) {
        rest.add(a);
        continue;
      }
      String key = a.substring(2);
      String value = null;
      int eq = key.indexOf('=');
      if (eq >= 0) {
        value = key.substring(eq + 1);
        key = key.substring(0, eq);
      } else if (!key.equals("embedded") && !key.equals("help")) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException("--" + key + " needs a value");
        }
        value = args[++i];
      }
      o.set(key, value);
    }
    if (rest.size() != 1) {
      throw new IllegalArgumentException(rest.isEmpty() ? "name a scenario"
          : "one scenario, not " + rest);
    }
    o.scenario = Scenario.parse(rest.get(0));
    o.check();
    return o;
  }

  private void set(String key, String v) {
    switch (key) {
      case "help" -> throw new IllegalArgumentException("");
      case "embedded" -> server = null;
      case "server" -> server = v;
      case "hierarchies" -> hierarchies = Integer.parseInt(v);
      case "time-scale" -> timeScale = Double.parseDouble(v);
      case "server-event-loops" -> serverEventLoops = Integer.parseInt(v);
      case "server-max-streams" -> serverMaxStreams = Integer.parseInt(v);
      case "server-workers" -> {
        String[] p = v.split(",");
        serverWorkerThreads = Integer.parseInt(p[0].trim());
        serverWorkerQueue = p.length > 1 ? Integer.parseInt(p[1].trim()) : serverWorkerQueue;
      }
      case "duration" -> durationSeconds = Double.parseDouble(v);
      case "count" -> count = Long.parseLong(v);
      case "warmup" -> warmupSeconds = Double.parseDouble(v);
      case "concurrency" -> concurrency = Integer.parseInt(v);
      case "connections" -> connections = Integer.parseInt(v);
      case "client-event-loops" -> clientEventLoops = Integer.parseInt(v);
      case "read-fraction" -> readFraction = Double.parseDouble(v);
      case "batch-size" -> batchSize = Integer.parseInt(v);
      case "depth" -> depth = Integer.parseInt(v);
      case "streams" -> streams = Integer.parseInt(v);
      case "wire" -> prebuilt = switch (v) {
        case "proto" -> false;
        case "prebuilt" -> true;
        default -> throw new IllegalArgumentException("--wire is proto or prebuilt, not " + v);
      };
      case "mix" -> parseMix(v);
      case "mode" -> waitMode = switch (v.toLowerCase(Locale.ROOT)) {
        case "try" -> false;
        case "wait" -> true;
        default -> throw new IllegalArgumentException("--mode is try or wait, not " + v);
      };
      case "contended" -> contended = Double.parseDouble(v);
      case "hot" -> hot = Integer.parseInt(v);
      case "wait-ready" -> waitReady = Boolean.parseBoolean(v);
      case "save-restore" -> saveRestore = Boolean.parseBoolean(v);
      case "request-ids" -> requestIds = Boolean.parseBoolean(v);
      case "deadline-ms" -> deadlineMs = Long.parseLong(v);
      case "churn-model" -> churnModel = v;
      case "out" -> out = v;
      case "progress" -> progressSeconds = Double.parseDouble(v);
      case "settle-seconds" -> settleSeconds = Double.parseDouble(v);
      default -> throw new IllegalArgumentException("unknown option --" + key);
    }
  }

  private void parseMix(String v) {
    Map<ResetKind, Integer> m = new LinkedHashMap<>();
    for (String part : v.split(",")) {
      String[] kv = part.split("=");
      if (kv.length != 2) {
        throw new IllegalArgumentException("--mix takes kind=weight,...: " + v);
      }
      ResetKind k = ResetKind.valueOf(kv[0].trim().toUpperCase(Locale.ROOT));
      m.put(k, Integer.parseInt(kv[1].trim()));
    }
    mix.clear();
    for (ResetKind k : ResetKind.values()) {
      mix.put(k, m.getOrDefault(k, 0));
    }
  }

  private void check() {
    positive("hierarchies", hierarchies);
    positive("concurrency", concurrency);
    positive("batch-size", batchSize);
    positive("depth", depth);
    positive("streams", streams);
    positive("client-event-loops", clientEventLoops);
    positive("server-event-loops", serverEventLoops);
    positive("server-max-streams", serverMaxStreams);
    if (connections < 0) {
      throw new IllegalArgumentException("--connections must be >= 0");
    }
    if (!(durationSeconds > 0)) {
      throw new IllegalArgumentException("--duration must be > 0");
    }
    if (count < 1) {
      throw new IllegalArgumentException("--count must be >= 1");
    }
    if (!(timeScale >= 0) || Double.isInfinite(timeScale)) {
      throw new IllegalArgumentException("--time-scale must be a finite number >= 0");
    }
    if (readFraction < 0 || readFraction > 1 || contended < 0 || contended > 1) {
      throw new IllegalArgumentException("--read-fraction and --contended are in 0..1");
    }
    if (mix.values().stream().mapToInt(Integer::intValue).sum() <= 0) {
      throw new IllegalArgumentException("--mix needs a positive weight");
    }
    if (server != null) {
      LoopbackOnly.check(server);
    }
  }

  private static void positive(String what, long v) {
    if (v < 1) {
      throw new IllegalArgumentException("--" + what + " must be at least 1, not " + v);
    }
  }

  /** The options as they were in effect, for the result file. */
  public Map<String, Object> describe() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("scenario", scenario.label());
    m.put("target", server == null ? "embedded" : server);
    if (server == null) {
      m.put("hierarchies", hierarchies);
      m.put("time_scale", timeScale);
      m.put("server_event_loops", serverEventLoops);
      m.put("server_max_streams", serverMaxStreams);
      m.put("server_workers", serverWorkerThreads + "," + serverWorkerQueue);
    }
    m.put("duration_s", durationSeconds);
    m.put("count", count == Long.MAX_VALUE ? null : count);
    m.put("warmup_s", warmupSeconds);
    m.put("concurrency", concurrency);
    m.put("connections", connections);
    m.put("client_event_loops", clientEventLoops);
    m.put("read_fraction", readFraction);
    m.put("batch_size", batchSize);
    m.put("depth", depth);
    m.put("streams", streams);
    m.put("wire", prebuilt ? "prebuilt" : "proto");
    Map<String, Object> mixOut = new LinkedHashMap<>();
    mix.forEach((k, v) -> mixOut.put(k.name().toLowerCase(Locale.ROOT), v));
    m.put("mix", mixOut);
    m.put("mode", waitMode ? "wait" : "try");
    m.put("contended", contended);
    m.put("hot", hot);
    m.put("wait_ready", waitReady);
    m.put("save_restore", saveRestore);
    m.put("request_ids", requestIds);
    m.put("deadline_ms", deadlineMs);
    m.put("churn_model", churnModel);
    return m;
  }
}
