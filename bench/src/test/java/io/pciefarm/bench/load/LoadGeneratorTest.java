package io.pciefarm.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.pciefarm.farm.Farm;
import io.pciefarm.grpc.PcieFarmServer;
import io.pciefarm.proto.v1.HierarchySpec;
import io.pciefarm.time.SystemFarmClock;
import io.pciefarm.time.TimeBase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every scenario end to end, short and bounded by count: the real server for config and farm
 * calls, {@link StandInServices} on the same farm for resets and hot-plug (their real services
 * are not on main yet). Checks that operations complete, nothing fails but what the scenario
 * expects, the farm is consistent afterwards, and the JSON and SVG files are written.
 */
@SuppressWarnings("unchecked")
class LoadGeneratorTest {
  SystemFarmClock clock;
  Farm farm;
  PcieFarmServer server;
  StandInServices standIn;

  @TempDir
  Path dir;

  /** A fresh farm for every test: one scenario's leftovers must not hide another's. */
  @BeforeEach
  void start() throws Exception {
    clock = new SystemFarmClock();
    farm = new Farm(new TimeBase(clock, 1.0));
    PcieFarmServer.Builder b = PcieFarmServer.builder().farm(farm).port(0);
    for (HierarchySpec spec : FarmSpecs.farm(6, 0)) {
      b.hierarchy(spec);
    }
    server = b.start();
    standIn = new StandInServices(farm);
  }

  @AfterEach
  void stop() {
    standIn.close();
    server.close();
    clock.close();
  }

  private Map<String, Object> run(String... args) throws Exception {
    Options o = Options.parse(args);
    o.out = dir.resolve(o.scenario.label()).toString();
    o.progressSeconds = 0.5;
    ByteArrayOutputStream log = new ByteArrayOutputStream();
    try (Target t = Target.split(server.tcpTarget(), standIn.address(), farm, o)) {
      return LoadGenerator.run(o, t, new PrintStream(log, true), Report.loadAverage());
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> op(Map<String, Object> result, String name) {
    for (Map<String, Object> op : (List<Map<String, Object>>) result.get("operations")) {
      if (op.get("name").equals(name)) {
        return op;
      }
    }
    throw new AssertionError("no operation " + name + " in " + result.get("operations"));
  }

  @SuppressWarnings("unchecked")
  private void assertConsistentAndWritten(Map<String, Object> result) throws Exception {
    Map<String, Object> c = (Map<String, Object>) result.get("consistency");
    assertEquals(true, c.get("ok"), () -> "consistency: " + c.get("checks"));
    Path json = Path.of((String) result.get("json"));
    Path svg = Path.of((String) result.get("svg"));
    assertTrue(Files.readString(json).contains("\"operations\""));
    // the chart is well-formed XML
    DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(svg.toFile());
  }

  /**
   * A count-bounded run measures {@code count} operations, plus at most one per client: a client
   * that took its token before the measured budget replaced the warm-up's, but started its
   * operation after the measurement began, is counted too (Options' --count says so).
   */
  private static void assertCounted(long count, int clients, Object measured) {
    long n = (Long) measured;
    assertTrue(n >= count && n <= count + clients, () -> n + " operations measured for --count "
        + count + " with " + clients + " clients");
  }

  @Test
  void configUnaryReadsAndWrites() throws Exception {
    Map<String, Object> r = run("config-unary", "--count", "2000", "--warmup", "0",
        "--concurrency", "8", "--read-fraction", "0.5");
    Map<String, Object> all = op(r, "config.unary");
    assertCounted(2000, 8, all.get("operations"));
    assertEquals(0L, all.get("unexpected_errors"));
    assertTrue((Long) op(r, "config.write").get("operations") > 0);
    assertConsistentAndWritten(r);
  }

  @Test
  void configBatchBothWires() throws Exception {
    for (String wire : List.of("proto", "prebuilt")) {
      Map<String, Object> r = run("config-batch", "--count", "200", "--warmup", "0",
          "--batch-size", "64", "--depth", "3", "--streams", "2", "--wire", wire);
      Map<String, Object> b = op(r, "config.batch");
      assertEquals(200L, b.get("operations"), wire);
      assertEquals(200L * 64, b.get("units"), wire);
      assertTrue(((Map<?, ?>) b.get("unit_errors")).isEmpty(), wire);
      assertConsistentAndWritten(r);
    }
  }

  @Test
  void resetStormTryModeOnlyBusy() throws Exception {
    Map<String, Object> r = run("reset-storm", "--count", "3000", "--warmup", "0",
        "--concurrency", "16", "--contended", "0.5", "--hot", "1");
    Map<String, Object> all = op(r, "reset");
    assertCounted(3000, 16, all.get("operations"));
    assertEquals(0L, all.get("unexpected_errors"), () -> "codes " + all.get("status_codes")
        + " " + all.get("first_message"));
    assertTrue((Long) op(r, "reset.flr").get("operations") > 0);
    assertTrue((Long) op(r, "reset.bus").get("operations") > 0);
    assertTrue((Long) op(r, "reset.slot").get("operations") > 0);
    assertConsistentAndWritten(r);
  }

  @Test
  void resetStormWaitModeHasNoBusy() throws Exception {
    Map<String, Object> r = run("reset-storm", "--count", "1000", "--warmup", "0",
        "--concurrency", "16", "--contended", "1", "--hot", "1", "--mode", "wait");
    Map<String, Object> all = op(r, "reset");
    assertEquals(Set.of("OK"), ((Map<?, ?>) all.get("status_codes")).keySet());
    assertCounted(1000, 16, ((Map<?, ?>) all.get("status_codes")).get("OK"));
    assertConsistentAndWritten(r);
  }

  @Test
  void hotPlugChurnCycles() throws Exception {
    Map<String, Object> r = run("hotplug-churn", "--count", "60", "--warmup", "0");
    Map<String, Object> cycle = op(r, "hotplug.cycle");
    assertCounted(60, 64, cycle.get("operations"));
    assertEquals(Set.of("OK"), ((Map<?, ?>) cycle.get("status_codes")).keySet(), () -> "first "
        + cycle.get("first_message"));
    assertTrue((Long) op(r, "hotplug.ready").get("operations") >= 60);
    assertConsistentAndWritten(r);
  }

  @Test
  void mixedRunsAllThree() throws Exception {
    Map<String, Object> r = run("mixed", "--duration", "1.5", "--warmup", "0",
        "--concurrency", "4", "--batch-size", "64");
    assertTrue((Long) op(r, "config.batch").get("operations") > 0);
    assertTrue((Long) op(r, "reset").get("operations") > 0);
    assertTrue((Long) op(r, "hotplug.cycle").get("operations") > 0);
    assertEquals(0L, op(r, "reset").get("unexpected_errors"));
    assertEquals(0L, op(r, "hotplug.cycle").get("unexpected_errors"),
        () -> "" + op(r, "hotplug.cycle").get("first_message"));
    assertConsistentAndWritten(r);
  }

  /** The real services, now on main: embedded server, every scenario, short. */
  @Test
  void embeddedServerEveryScenario() throws Exception {
    for (String scenario : List.of("config-unary", "config-batch", "reset-storm",
        "hotplug-churn", "mixed")) {
      Options o = Options.parse(scenario, "--hierarchies", "4", "--warmup", "0",
          "--duration", "1", "--concurrency", "8", "--batch-size", "64", "--progress", "0.5");
      o.out = dir.resolve("embedded-" + scenario).toString();
      Map<String, Object> r = LoadGenerator.run(o, new PrintStream(new ByteArrayOutputStream()));
      assertTrue((Long) ((List<Map<String, Object>>) r.get("operations")).get(0)
          .get("operations") > 0, scenario);
      for (Map<String, Object> op : (List<Map<String, Object>>) r.get("operations")) {
        if (((String) op.get("name")).startsWith("reset")) {
          // A reset whose target sits below a bridge that a concurrent bus reset has cleared
          // is NOT_FOUND rather than ABORTED (a server issue, see BENCHMARKS.md): nothing else
          Map<String, Object> codes = (Map<String, Object>) op.get("status_codes");
          assertTrue(java.util.Set.of("OK", "ABORTED", "NOT_FOUND").containsAll(codes.keySet()),
              () -> scenario + " " + op);
        } else {
          assertEquals(0L, op.get("unexpected_errors"), () -> scenario + " " + op);
        }
      }
      assertConsistentAndWritten(r);
    }
  }

  @Test
  void onlyLoopbackServers() {
    assertThrows(IllegalArgumentException.class,
        () -> Options.parse("config-unary", "--server", "10.1.2.3:50051"));
    assertThrows(IllegalArgumentException.class,
        () -> Options.parse("config-unary", "--server", "nonsense"));
    assertEquals("127.0.0.1:1", Options.parse("config-unary", "--server", "127.0.0.1:1").server);
    assertEquals("[::1]:9", Options.parse("config-unary", "--server=[::1]:9").server);
  }

  @Test
  void optionsParse() {
    Options o = Options.parse("reset-storm", "--mix", "flr=1,slot=3", "--mode", "wait",
        "--time-scale", "0.5", "--count", "10");
    assertEquals(Options.Scenario.RESET_STORM, o.scenario);
    assertEquals(1, o.mix.get(Options.ResetKind.FLR));
    assertEquals(0, o.mix.get(Options.ResetKind.BUS));
    assertEquals(3, o.mix.get(Options.ResetKind.SLOT));
    assertTrue(o.waitMode);
    assertThrows(IllegalArgumentException.class, () -> Options.parse("nope"));
    assertThrows(IllegalArgumentException.class,
        () -> Options.parse("config-batch", "--batch-size", "0"));
  }

  @Test
  void opStatsCountOnlyMeasuredOperations() {
    OpStats s = new OpStats("x", "call", java.util.Set.of(Status.Code.ABORTED));
    long before = System.nanoTime();
    s.ok(before, 1);
    s.startMeasuring(System.nanoTime());
    long t = System.nanoTime();
    s.ok(t, 5);
    s.failed(t, Status.ABORTED);
    s.failed(t, Status.INTERNAL.withDescription("boom"));
    s.ok(before, 1); // started in the warm-up: not counted
    assertEquals(3, s.ops());
    assertEquals(5, s.units());
    assertEquals(1, s.unexpectedErrors());
    assertEquals(3, s.total().getTotalCount());
    assertEquals("boom", s.messages().get(Status.Code.INTERNAL));
  }

  @Test
  void jsonEscapesAndFormats() {
    String j = Json.write(Map.of("a\"b", List.of(1, 2.5, "x\ny", true)));
    assertEquals("{\n  \"a\\\"b\": [1, 2.5, \"x\\ny\", true]\n}\n", j);
    // large values keep their zeros, small ones their digits
    assertEquals("[313000.5, 120000.25, 5000000.3, 0.001234, 7]\n",
        Json.write(List.of(313000.5, 120000.25, 5000000.3, 0.001234, 7.0)));
    Object back = Json.parse(Json.write(Map.of("k", List.of(1.5, "a\"b\n", true),
        "e", Map.of(), "n", List.of())));
    assertEquals(Map.of("k", List.of(1.5, "a\"b\n", true), "e", Map.of(), "n", List.of()), back);
  }
}
