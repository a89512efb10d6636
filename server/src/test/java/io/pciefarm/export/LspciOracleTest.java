package io.pciefarm.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.config.ConfigLayout;
import io.pciefarm.config.ConfigSpace;
import io.pciefarm.config.LayoutBuilder;
import io.pciefarm.export.LspciDump.DumpDepth;
import io.pciefarm.export.LspciDump.DumpedFunction;
import io.pciefarm.testing.Lspci;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Dumps of layouts built here, decoded by the real lspci. The capability lists are written byte
 * by byte with {@link LayoutBuilder#value}, independent of the capability classes, so these tests
 * check the exporter and the oracle, not the capabilities.
 */
class LspciOracleTest {
  private static final int VENDOR = 0x1b36;
  private static final int DEVICE = 0x0010;

  @BeforeEach
  void needLspci() {
    Lspci.assumeInstalled();
  }

  /** Type 0 header: IDs, class, subsystem, and the capability pointer when {@code caps} != 0. */
  private static LayoutBuilder endpoint(int size, int classCode, int caps) {
    LayoutBuilder b = new LayoutBuilder(size);
    b.value(0x00, 2, VENDOR).value(0x02, 2, DEVICE);
    b.value(0x08, 4, classCode << 8 | 0x02); // revision 02
    b.value(0x2c, 2, VENDOR).value(0x2e, 2, 0x1100);
    if (caps != 0) {
      b.value(0x06, 2, 0x0010); // Status: capabilities list
      b.value(0x34, 1, caps);
    }
    return b;
  }

  /** Conventional capability header: ID and next pointer. */
  private static void cap(LayoutBuilder b, int at, int id, int next) {
    b.value(at, 1, id).value(at + 1, 1, next);
  }

  /** Extended capability header: ID 15:0, version 19:16, next 31:20. */
  private static void extCap(LayoutBuilder b, int at, int id, int version, int next) {
    b.value(at, 4, id | version << 16 | next << 20);
  }

  private static String dump(DumpDepth depth, DumpedFunction... fs) {
    return LspciDump.format(List.of(fs), depth);
  }

  private static DumpedFunction at(int bus, int dev, int fn, String name, LayoutBuilder b) {
    return DumpedFunction.of(0, bus, dev, fn, name, new ConfigSpace(b.build()));
  }

  /** An NVMe-class PCIe endpoint: PM -> MSI -> Express, then AER -> DSN in extended space. */
  private static LayoutBuilder nvme() {
    LayoutBuilder b = endpoint(ConfigLayout.PCIE_SIZE, 0x010802, 0x40);
    cap(b, 0x40, 0x01, 0x50);
    b.value(0x42, 2, 0x0003); // PMC: version 3
    cap(b, 0x50, 0x05, 0x70);
    b.value(0x52, 2, 0x0080); // MSI: 64-bit
    cap(b, 0x70, 0x10, 0x00);
    b.value(0x72, 2, 0x0002); // Express v2, endpoint
    b.value(0x74, 4, 1 << 28); // DevCap: FLR
    b.value(0x7c, 4, 0x00000043); // LnkCap: 8 GT/s x4
    b.value(0x82, 2, 0x0043); // LnkSta: 8 GT/s x4
    extCap(b, 0x100, 0x0001, 2, 0x140); // AER
    extCap(b, 0x140, 0x0003, 1, 0x000); // DSN
    b.value(0x144, 4, 0x9abcdef0).value(0x148, 4, 0x12345678);
    return b;
  }

  @Test
  void lspciDecodesIdsClassAndEveryCapabilityWritten() {
    String out = Lspci.decode(dump(DumpDepth.EXTENDED, at(0x01, 0, 0, "nvme", nvme())),
        "-vvv", "-nn");
    assertTrue(out.startsWith("01:00.0 Non-Volatile memory controller [0108]: "), out);
    assertTrue(out.lines().findFirst().orElseThrow().contains("[1b36:0010] (rev 02)"), out);
    assertTrue(out.contains("prog-if 02 [NVM Express]"), out);
    assertTrue(out.contains("\tSubsystem: ") && out.contains(" [1b36:1100]\n"), out);
    assertTrue(out.contains("\tCapabilities: [40] Power Management version 3\n"), out);
    assertTrue(out.contains("\tCapabilities: [50] MSI: Enable- Count=1/1 Maskable- 64bit+\n"),
        out);
    assertTrue(out.contains("\tCapabilities: [70] Express (v2) Endpoint, MSI 00\n"), out);
    assertTrue(out.contains("FLReset+"), out);
    assertTrue(out.contains("LnkSta:\tSpeed 8GT/s, Width x4"), out);
    assertTrue(out.contains("\tCapabilities: [100 v2] Advanced Error Reporting\n"), out);
    assertTrue(out.contains("\tCapabilities: [140 v1] Device Serial Number 12-34-56-78-9a-bc-de-f0"),
        out);
    assertEquals(5, count(out, "\tCapabilities: "), out);
    assertEquals(List.of(), Lspci.problems(out));
  }

  @Test
  void lspciReDumpsOurDumpByteForByteAtEveryDepth() {
    DumpedFunction pcie = at(0x01, 0, 0, "nvme", nvme());
    DumpedFunction conventional = at(0x02, 3, 0, "pci", conventionalWithPciX());
    for (DumpDepth depth : DumpDepth.values()) {
      String ours = dump(depth, pcie, conventional);
      String theirs = Lspci.decode(ours, "-D", depth.lspciOption());
      assertEquals(withoutNames(ours), withoutNames(theirs), depth.name());
    }
  }

  /** A conventional function with a PCI-X capability, which makes lspci look for 0x100. */
  private static LayoutBuilder conventionalWithPciX() {
    LayoutBuilder b = endpoint(ConfigLayout.CONVENTIONAL_SIZE, 0x020000, 0x40);
    cap(b, 0x40, 0x07, 0x48); // PCI-X
    cap(b, 0x48, 0x01, 0x00); // PM
    b.value(0x4a, 2, 0x0002);
    return b;
  }

  @Test
  void aConventionalFunctionAtExtendedDepthDecodesAsConventional() {
    String ours = dump(DumpDepth.EXTENDED, at(0, 3, 0, "pci", conventionalWithPciX()));
    // header, 16 lines of 256 bytes as lspci -xxxx prints, empty line, end of text
    assertEquals(1 + 16 + 2, ours.split("\n", -1).length);
    String out = Lspci.decode(ours, "-vvv", "-nn");
    assertTrue(out.contains("\tCapabilities: [40] PCI-X non-bridge device\n"), out);
    assertTrue(out.contains("\tCapabilities: [48] Power Management version 2\n"), out);
    // PCI-X lets lspci look for extended capabilities; the 256-byte dump has none to show
    assertFalse(out.contains("Capabilities: [1"), out);
    assertEquals(List.of(), Lspci.problems(out));
  }

  @Test
  void aLoopedListIsReportedAsLooped() {
    LayoutBuilder b = endpoint(ConfigLayout.PCIE_SIZE, 0x020000, 0x40);
    cap(b, 0x40, 0x01, 0x50);
    b.value(0x42, 2, 0x0003);
    cap(b, 0x50, 0x10, 0x40); // Express, back to PM
    b.value(0x52, 2, 0x0002);
    extCap(b, 0x100, 0x0003, 1, 0x100); // DSN pointing at itself
    String out = Lspci.decode(dump(DumpDepth.EXTENDED, at(0, 4, 0, "loop", b)), "-vvv");
    assertEquals(List.of("Capabilities: [40] <chain looped>",
        "Capabilities: [100 v1] <chain looped>"), Lspci.problems(out));
  }

  @Test
  void aBrokenListIsReportedAsBroken() {
    LayoutBuilder b = endpoint(ConfigLayout.CONVENTIONAL_SIZE, 0x020000, 0x40);
    cap(b, 0x40, 0x01, 0x80);
    b.value(0x42, 2, 0x0003);
    b.value(0x80, 4, 0xffffffff); // what a read of nothing returns
    String out = Lspci.decode(dump(DumpDepth.FULL, at(0, 4, 0, "broken", b)), "-vvv");
    assertEquals(List.of("Capabilities: [80] <chain broken>"), Lspci.problems(out));
  }

  @Test
  void aStandardDepthDumpCannotShowTheCapabilities() {
    String out = Lspci.decode(dump(DumpDepth.STANDARD, at(0x01, 0, 0, "nvme", nvme())), "-vvv");
    assertEquals(List.of("Capabilities: <access denied>"), Lspci.problems(out));
  }

  @Test
  void twoFunctionsAreBothListed() {
    LayoutBuilder f0 = endpoint(ConfigLayout.PCIE_SIZE, 0x020000, 0);
    f0.value(0x0e, 1, 0x80); // multi-function
    LayoutBuilder f1 = endpoint(ConfigLayout.PCIE_SIZE, 0x010802, 0);
    f1.value(0x0e, 1, 0x80);
    String out = Lspci.decode(dump(DumpDepth.EXTENDED, at(0x05, 0, 0, "eth", f0),
        at(0x05, 0, 1, "nvme", f1)), "-nn");
    List<String> lines = out.lines().toList();
    assertEquals(2, lines.size(), out);
    assertTrue(lines.get(0).startsWith("05:00.0 Ethernet controller [0200]: "), out);
    assertTrue(lines.get(1).startsWith("05:00.1 Non-Volatile memory controller [0108]: "), out);
  }

  /** A PCIe root port (type 1 header, class 0604) with the given bus numbers. */
  private static LayoutBuilder rootPort(int primary, int secondary, int subordinate) {
    LayoutBuilder b = endpoint(ConfigLayout.PCIE_SIZE, 0x060400, 0x40);
    b.value(0x0e, 1, 0x01);
    b.value(0x18, 1, primary).value(0x19, 1, secondary).value(0x1a, 1, subordinate);
    cap(b, 0x40, 0x10, 0x00);
    b.value(0x42, 2, 0x0042); // Express v2, root port
    return b;
  }

  @Test
  void theTreeFollowsTheBridgeBusNumbers() {
    LayoutBuilder ep = endpoint(ConfigLayout.PCIE_SIZE, 0x010802, 0);
    String tree = Lspci.decode(dump(DumpDepth.EXTENDED, at(0, 0x1c, 0, "rp", rootPort(0, 2, 2)),
        at(2, 0, 0, "ep", ep)), "-t");
    assertEquals("-[0000:00]---1c.0-[02]----00.0\n", tree);
    // unprogrammed bus numbers: the endpoint is not below the port but on a bus of its own
    String flat = Lspci.decode(dump(DumpDepth.EXTENDED, at(0, 0x1c, 0, "rp", rootPort(0, 0, 0)),
        at(2, 0, 0, "ep", ep)), "-t");
    assertEquals("-+-[0000:00]---1c.0--\n \\-[0000:02]---00.0\n", flat);
  }

  @Test
  void aMalformedDumpFailsTheDecodeClearly() {
    AssertionError e = assertThrows(AssertionError.class,
        () -> Lspci.decode("0000:00:00.0 x\n00: 00", "-vvv"));
    assertTrue(e.getMessage().contains("exited with 1"), e.getMessage());
    assertTrue(e.getMessage().contains("line too long or unterminated"), e.getMessage());
  }

  @Test
  void problemsFindsEveryMarkerLine() {
    String out = "00:01.0 Ethernet controller: x\n"
        + "\tCapabilities: [40] Power Management version 3\n"
        + "\tCapabilities: [50] <chain looped>\n"
        + "\tCapabilities: [60] <chain broken>\n"
        + "\tCapabilities: [100 v1] Power Budgeting <?>\n"
        + "\t\tStatus: <BAD>\n"
        + "\tCapabilities: <access denied>\n"
        + "\t\t<unreadable>\n"
        + "\t\tT_PwrOn=<error>\n"
        + "\tStatus: Cap+ 66MHz- >TAbort- <TAbort- <MAbort- >SERR- <PERR- INTx-\n";
    assertEquals(List.of("Capabilities: [50] <chain looped>",
        "Capabilities: [60] <chain broken>", "Capabilities: [100 v1] Power Budgeting <?>",
        "Status: <BAD>", "Capabilities: <access denied>", "<unreadable>", "T_PwrOn=<error>"),
        Lspci.problems(out));
    assertEquals(List.of(), Lspci.problems(""));
  }

  /** The dump with each header line cut to its address (lspci writes its own names there). */
  private static String withoutNames(String dump) {
    Pattern header = Pattern.compile("^(\\p{XDigit}{4}:\\p{XDigit}{2}:\\p{XDigit}{2}\\.\\d) .*$");
    return String.join("\n", Arrays.stream(dump.split("\n", -1))
        .map(l -> header.matcher(l).replaceFirst("$1")).toList());
  }

  private static int count(String text, String what) {
    int n = 0;
    for (int i = text.indexOf(what); i >= 0; i = text.indexOf(what, i + 1)) {
      n++;
    }
    return n;
  }
}
