package io.pciefarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.client.LiveServer;
import io.pciefarm.export.HierarchyDump;
import io.pciefarm.export.LspciDump;
import io.pciefarm.export.LspciDump.DumpDepth;
import io.pciefarm.export.LspciDump.ParsedFunction;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.testing.Lspci;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciFunction;
import io.pciefarm.topology.TopologyTree;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The command-line tool against a running server, through PcieFarmCli.run. */
class CliTest extends LiveServer {
  private static final String NVME = "0001:03:00.0";

  record Result(int code, String out, String err) {
    /** Exactly one line on stderr, as every error must be. */
    String errLine() {
      assertEquals(1, err.lines().count(), () -> "stderr: " + err);
      return err.strip();
    }
  }

  static Result run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = PcieFarmCli.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Result(code, out.toString(), err.toString());
  }

  private String[] at(Via via, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add(1, via == Via.TCP ? "--server" : "--unix");
    all.add(2, via == Via.TCP ? server.tcpTarget() : server.unixSocket().toString());
    return all.toArray(String[]::new);
  }

  private PciFunction engine(String address) {
    io.pciefarm.topology.PciAddress a = io.pciefarm.topology.PciAddress.parse(address);
    return server.farm().bySegment(a.segment()).lookup(a);
  }

  private int reachableFunctions() {
    return server.farm().list().stream().mapToInt(h -> (int) h.functions().stream()
        .filter(f -> f.address() != null).count()).sum();
  }

  // ---------------------------------------------------------------------------------------------
  // ls

  @ParameterizedTest
  @EnumSource(Via.class)
  void lsListsHierarchies(Via via) {
    Result r = run(at(via, "ls"));
    assertEquals(0, r.code(), r.err());
    for (Hierarchy h : server.farm().list()) {
      assertTrue(r.out().lines().anyMatch(l -> l.startsWith(h.name() + " ")
          && l.contains(String.format("%04x", h.segment()))), r.out());
    }
    assertEquals(server.farm().size() + 1, r.out().lines().count());
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void lsShowsOneHierarchysTreeAndFunctions(Via via) {
    Result r = run(at(via, "ls", "storage-switch"));
    assertEquals(0, r.code(), r.err());
    Hierarchy h = server.farm().get("storage-switch");
    assertTrue(r.out().contains(TopologyTree.render(h)), r.out());
    for (PciFunction f : h.functions()) {
      assertTrue(r.out().contains(f.address().toString()), f.toString());
    }
    assertTrue(r.out().contains("device_specific,flr,slot"), r.out());
    Result missing = run(at(via, "ls", "no-such-hierarchy"));
    assertEquals(1, missing.code());
    assertTrue(missing.errLine().startsWith("pciefarm ls: no hierarchy named 'no-such-hierarchy'"),
        missing.err());
  }

  // ---------------------------------------------------------------------------------------------
  // lspci

  @ParameterizedTest
  @EnumSource(Via.class)
  void lspciListsEveryReachableFunction(Via via) {
    Result r = run(at(via, "lspci"));
    assertEquals(0, r.code(), r.err());
    assertEquals(reachableFunctions(), r.out().lines().count());
    assertTrue(r.out().lines().anyMatch(l -> l.startsWith(NVME
        + " Non-Volatile memory controller [0108]: ")), r.out());
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void lspciFiltersAsPciutilsDoes(Via via) {
    assertEquals(List.of(NVME), addresses(run(at(via, "lspci", "-s", NVME)).out()));
    assertEquals(List.of(NVME), addresses(run(at(via, "lspci", "-s", "1:3:0.0")).out()));
    // Without a domain, every domain matches.
    List<String> bus3 = addresses(run(at(via, "lspci", "-s", "03:00")).out());
    assertTrue(bus3.contains(NVME) && bus3.contains("0000:03:00.0"), bus3.toString());
    assertTrue(bus3.stream().allMatch(a -> a.substring(5).startsWith("03:00.")), bus3.toString());
    // By vendor: Samsung's NVMe drives.
    List<String> samsung = addresses(run(at(via, "lspci", "-d", "144d:")).out());
    assertTrue(samsung.contains(NVME) && samsung.contains("0000:02:00.0"), samsung.toString());
    Result bad = run(at(via, "lspci", "-s", "1:2:3:4"));
    assertEquals(2, bad.code());
    assertTrue(bad.errLine().contains("'1:2:3:4' is not a slot"), bad.err());
  }

  private static List<String> addresses(String lspciOut) {
    return lspciOut.lines().filter(l -> !l.isEmpty() && !l.startsWith("\t")
        && !l.matches("[0-9a-f]+: .*")).map(l -> l.substring(0, 12)).toList();
  }

  /** The dump holds what the engine holds, byte for byte, and the real lspci decodes it. */
  @ParameterizedTest
  @EnumSource(Via.class)
  void lspciDumpsAreWhatTheEngineHoldsAndLspciReadsThem(Via via) {
    for (DumpDepth depth : DumpDepth.values()) {
      Result r = run(at(via, "lspci", depth.lspciOption()));
      assertEquals(0, r.code(), r.err());
      Map<String, byte[]> ours = bytes(r.out());
      StringBuilder engine = new StringBuilder();
      for (Hierarchy h : server.farm().list()) {
        engine.append(HierarchyDump.format(h, depth));
      }
      Map<String, byte[]> expected = bytes(engine.toString());
      assertEquals(expected.keySet(), ours.keySet());
      for (String a : expected.keySet()) {
        assertTrue(java.util.Arrays.equals(expected.get(a), ours.get(a)), a + " " + depth);
      }
    }
    Lspci.assumeInstalled();
    for (String option : List.of("-xxx", "-xxxx")) {
      String dump = run(at(via, "lspci", option)).out();
      String decoded = Lspci.decode(dump);
      assertEquals(reachableFunctions(), decoded.lines().count(), decoded);
      assertTrue(decoded.contains(NVME + " Non-Volatile memory controller"), decoded);
      String verbose = Lspci.decode(dump, "-vvv");
      assertEquals(List.of(), Lspci.problems(verbose));
      assertTrue(verbose.contains("Capabilities: [60] Express (v2) Endpoint"), verbose);
    }
  }

  private static Map<String, byte[]> bytes(String dump) {
    Map<String, byte[]> out = new TreeMap<>();
    for (ParsedFunction f : LspciDump.parse(dump)) {
      out.put(f.address(), f.config());
    }
    return out;
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void lspciVerboseDumpsStillDecode(Via via) {
    Result r = run(at(via, "lspci", "-v", "-xxxx", "-s", "0001::"));
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("\tIOMMU group: "), r.out());
    assertTrue(r.out().contains("\tCapabilities: [100 v2] Advanced Error Reporting"), r.out());
    assertTrue(r.out().contains("\tHot-plug slot: "), r.out());
    Lspci.assumeInstalled();
    String decoded = Lspci.decode(r.out());
    assertEquals(server.farm().get("storage-switch").functions().size(),
        decoded.lines().count(), decoded);
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void lspciTreeIsTheEnginesAndLspcisOwn(Via via) {
    Result r = run(at(via, "lspci", "-t"));
    assertEquals(0, r.code(), r.err());
    assertEquals(TopologyTree.render(server.farm().list()), r.out());
    Lspci.assumeInstalled();
    assertEquals(Lspci.decode(run(at(via, "lspci", "-x")).out(), "-t"), r.out());
  }

  // ---------------------------------------------------------------------------------------------
  // setpci

  @ParameterizedTest
  @EnumSource(Via.class)
  void setpciReadsRegistersByName(Via via) {
    PciFunction f = engine(NVME);
    int exp = f.model().layout().capability(CapabilityId.EXP);
    int aer = f.model().layout().extendedCapability(CapabilityId.EXT_AER);
    Result r = run(at(via, "setpci", "-s", NVME, "VENDOR_ID", "device_id", "COMMAND.b",
        "CAP_EXP+8.w", "ECAP_AER+4.l", "CAP10+2.w", "34.b", "HEADER_TYPE"));
    assertEquals(0, r.code(), r.err());
    assertEquals(List.of(
        String.format("%04x", f.config().read(0, 2)),
        String.format("%04x", f.config().read(2, 2)),
        String.format("%02x", f.config().read(4, 1)),
        String.format("%04x", f.config().read(exp + 8, 2)),
        String.format("%08x", f.config().read(aer + 4, 4)),
        String.format("%04x", f.config().read(exp + 2, 2)),
        String.format("%02x", f.config().read(0x34, 1)),
        String.format("%02x", f.config().read(0x0e, 1))), r.out().lines().toList());
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void setpciWritesWithValuesMasksAndDemoMode(Via via) {
    PciFunction f = engine(NVME);
    int before = f.config().read(4, 2);
    try {
      Result w = run(at(via, "setpci", "-s", NVME, "COMMAND=6", "COMMAND"));
      assertEquals(0, w.code(), w.err());
      assertEquals("0006", w.out().strip());
      assertEquals(6, f.config().read(4, 2) & 6);
      // Only the mask's bits change: clear bus master (bit 2), keep memory space (bit 1).
      Result m = run(at(via, "setpci", "-v", "-s", NVME, "COMMAND.w=0:4"));
      assertEquals(0, m.code(), m.err());
      assertEquals(NVME + " @04 0006->(0000:0004)->0002", m.out().strip());
      assertEquals(2, f.config().read(4, 2) & 6);
      // Demo mode shows the write and leaves the register alone.
      Result d = run(at(via, "setpci", "-D", "-s", NVME, "COMMAND=0"));
      assertEquals(0, d.code(), d.err());
      assertTrue(d.out().contains("@04 0000"), d.out());
      assertEquals(2, f.config().read(4, 2) & 6);
      // Several groups, and comma lists writing consecutive registers.
      Result g = run(at(via, "setpci", "-s", NVME, "INTERRUPT_LINE=5", "INTERRUPT_LINE",
          "-s", "0000:02:00.0", "COMMAND.b"));
      assertEquals(0, g.code(), g.err());
      assertEquals(List.of("05", String.format("%02x", engine("0000:02:00.0").config()
          .read(4, 1))), g.out().lines().toList());
      Result list = run(at(via, "setpci", "-s", NVME, "3c.b=7,1", "3c.w"));
      assertEquals("0107", list.out().strip(), list.err());
    } finally {
      f.config().write(4, 2, before);
    }
  }

  /** setpci parses numbers with strtoul(..., 16): a 0x prefix is fine, for values and offsets. */
  @ParameterizedTest
  @EnumSource(Via.class)
  void setpciAcceptsA0xPrefixAsSetpciDoes(Via via) {
    PciFunction f = engine(NVME);
    int before = f.config().read(4, 2);
    try {
      Result w = run(at(via, "setpci", "-s", NVME, "COMMAND=0x6", "0x04.w"));
      assertEquals(0, w.code(), w.err());
      assertEquals("0006", w.out().strip());
    } finally {
      f.config().write(4, 2, before);
    }
  }

  /** lspci's -v may be given more than once (-vv, -vvv). */
  @ParameterizedTest
  @EnumSource(Via.class)
  void lspciTakesRepeatedVerbosity(Via via) {
    Result one = run(at(via, "lspci", "-s", NVME, "-v"));
    Result two = run(at(via, "lspci", "-s", NVME, "-vv"));
    Result three = run(at(via, "lspci", "-s", NVME, "-v", "-v", "-v"));
    assertEquals(0, two.code(), two.err());
    assertEquals(0, three.code(), three.err());
    assertEquals(one.out(), two.out());
    assertTrue(two.out().contains("Capabilities: [60] Express"), two.out());
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void setpciBridgeRegistersAndWildcards(Via via) {
    Result r = run(at(via, "setpci", "-s", "0001:02:*.0", "SECONDARY_BUS", "BRIDGE_CONTROL"));
    assertEquals(0, r.code(), r.err());
    List<String> expected = new ArrayList<>();
    for (int dev = 0; dev < 4; dev++) {
      PciFunction port = engine(String.format("0001:02:%02x.0", dev));
      expected.add(String.format("%02x", port.secondaryBusNumber()));
      expected.add(String.format("%04x", port.config().read(0x3e, 2)));
    }
    assertEquals(expected, r.out().lines().toList());
    assertEquals("03", expected.get(0));
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void setpciErrorsAreOneLine(Via via) {
    Result unknown = run(at(via, "setpci", "-s", NVME, "NO_SUCH_REG"));
    assertEquals(2, unknown.code());
    assertTrue(unknown.errLine().contains("unknown register 'NO_SUCH_REG'"), unknown.err());
    Result width = run(at(via, "setpci", "-s", NVME, "CAP_EXP+8"));
    assertEquals(2, width.code());
    assertTrue(width.errLine().contains("missing width"), width.err());
    Result unaligned = run(at(via, "setpci", "-s", NVME, "41.w"));
    assertEquals(2, unaligned.code());
    assertTrue(unaligned.errLine().contains("unaligned"), unaligned.err());
    Result value = run(at(via, "setpci", "-s", NVME, "COMMAND=10000"));
    assertEquals(2, value.code());
    assertTrue(value.errLine().contains("out of range"), value.err());
    Result noFilter = run(at(via, "setpci", "COMMAND"));
    assertEquals(2, noFilter.code());
    noFilter.errLine();
    Result header = run(at(via, "setpci", "-s", NVME, "BRIDGE_CONTROL"));
    assertEquals(1, header.code());
    assertTrue(header.errLine().contains("has no register BRIDGE_CONTROL"), header.err());
    Result noCap = run(at(via, "setpci", "-s", NVME, "ECAP_SRIOV.l"));
    assertEquals(1, noCap.code());
    assertTrue(noCap.errLine().contains("not found"), noCap.err());
    Result nothing = run(at(via, "setpci", "-s", "0777:00:00.0", "COMMAND"));
    assertEquals(1, nothing.code());
    assertTrue(nothing.errLine().contains("no function matches"), nothing.err());
    assertEquals(0, run(at(via, "setpci", "-f", "-s", "0777:00:00.0", "COMMAND")).code());
  }

  @Test
  void setpciListsItsRegisterNames() {
    Result r = run("setpci", "--dumpregs");
    assertEquals(0, r.code(), r.err());
    for (String name : List.of("COMMAND", "STATUS", "BRIDGE_CONTROL", "CAP_EXP", "ECAP_AER",
        "CB_LEGACY_MODE_BASE", "ECAP_64GT")) {
      assertTrue(r.out().lines().anyMatch(l -> l.startsWith(name + " ")), name);
    }
  }

  @Test
  void withoutAServerCommandsFailInOneLine() {
    Result r = run("ls", "--server", "127.0.0.1:1");
    assertEquals(1, r.code());
    assertTrue(r.errLine().contains("127.0.0.1:1") && r.errLine().contains("refused"),
        r.err());
    assertFalse(r.out().contains("NAME"), "nothing printed before the error");
    Result bad = run("ls", "--server", "nonsense");
    assertEquals(1, bad.code());
    assertTrue(bad.errLine().contains("HOST:PORT"), bad.err());
  }

  @Test
  void usageErrorsExitTwo() {
    Result r = run("lspci", "--frobnicate");
    assertEquals(2, r.code());
    r.errLine();
    Result both = run("ls", "--server", "127.0.0.1:1", "--unix", "/tmp/x.sock");
    assertEquals(2, both.code());
    assertTrue(both.errLine().contains("not both"), both.err());
    Result none = run("serve", "--no-tcp");
    assertEquals(2, none.code());
    assertTrue(none.errLine().contains("--no-tcp needs --unix"), none.err());
  }
}
