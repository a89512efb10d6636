package io.pciefarm.cli;

import io.pciefarm.client.PcieFarmClient;
import io.pciefarm.export.LspciDump;
import io.pciefarm.export.LspciDump.DumpDepth;
import io.pciefarm.export.LspciDump.DumpedFunction;
import io.pciefarm.proto.v1.FunctionInfo;
import io.pciefarm.proto.v1.TopologySnapshot;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pciefarm lspci}: the farm's functions as lspci lists a machine, read from the server
 * over config requests like any client. The hex dumps ({@code -x}, {@code -xxx}, {@code -xxxx})
 * are in lspci's own format, so {@code lspci -F FILE} decodes them, {@code -v} lines included.
 */
@Command(name = "lspci", mixinStandardHelpOptions = true, description = {
    "List the farm's functions as lspci does.",
    "-x/-xxx/-xxxx dump config space in the format lspci -F reads, e.g.",
    "  pciefarm lspci -xxxx > dump && lspci -F dump -vvv"})
final class LspciCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  ServerOptions server;

  @Option(names = "-s", paramLabel = "[[[[DOMAIN]:]BUS]:][SLOT][.[FUNC]]",
      description = "Show only functions in this slot (hex; omitted parts match any).")
  String slot;

  @Option(names = "-d", paramLabel = "[VENDOR]:[DEVICE]",
      description = "Show only functions with these IDs (hex).")
  String ids;

  @Option(names = "-v", description = "Be verbose: subsystem, bus numbers, IOMMU group,"
      + " capabilities, reset methods, assignability. May be repeated (-vv, -vvv), as lspci's.")
  boolean[] verbosity = new boolean[0];

  private boolean verbose;

  @Option(names = "-t", description = "Show the tree, as lspci -t does.")
  boolean tree;

  @ArgGroup(exclusive = false)
  DumpDepthOptions dump = new DumpDepthOptions();

  @Override
  public Integer call() throws Exception {
    verbose = verbosity.length > 0;
    DeviceFilter filter = new DeviceFilter();
    try {
      if (slot != null) {
        filter.slot(slot);
      }
      if (ids != null) {
        filter.id(ids);
      }
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    PrintWriter out = spec.commandLine().getOut();
    try (PcieFarmClient client = server.connect()) {
      TopologySnapshot topology = client.topology("");
      if (tree) {
        out.print(topology.getTree());
        out.flush();
        return 0;
      }
      List<FunctionInfo> chosen = new ArrayList<>();
      for (FunctionInfo f : topology.getFunctionsList()) {
        if (filter.matches(f)) {
          chosen.add(f);
        }
      }
      DumpDepth depth = dump.depth();
      int bytes = verbose ? 4096 : depth == null ? 0 : Math.max(depth.bytes(), 128);
      List<int[]> config = bytes == 0 ? null : ConfigFetcher.fetch(client, chosen, bytes);
      for (int i = 0; i < chosen.size(); i++) {
        print(out, chosen.get(i), config == null ? null : config.get(i), depth);
      }
    }
    out.flush();
    return 0;
  }

  private void print(PrintWriter out, FunctionInfo f, int[] dwords, DumpDepth depth)
      throws java.io.IOException {
    String title = title(f);
    out.println(f.getAddress() + " " + title);
    if (verbose) {
      verbose(out, f, dwords);
    }
    if (depth != null) {
      int packed = f.getPackedAddress();
      DumpedFunction d = new DumpedFunction(packed >>> 16, (packed >>> 8) & 0xff,
          (packed >>> 3) & 0x1f, packed & 7, title, i -> dwords[i], f.getConfigSize());
      StringBuilder block = new StringBuilder();
      LspciDump.write(block, d, depth);
      // lspci prints the hex after the header line (and after -v's lines): drop the writer's
      // own header line, which is the one printed above.
      out.print(block.substring(block.indexOf("\n") + 1));
    } else if (verbose) {
      out.println();
    }
  }

  /** What lspci prints after the address: class, name, IDs, revision. */
  static String title(FunctionInfo f) {
    String s = String.format("%s [%04x]: %s [%04x:%04x]", PciNames.className(f.getClassCode()),
        f.getClassCode() >>> 8, f.getDescription(), f.getVendorId(), f.getDeviceId());
    s = s.replace('\n', ' ').replace('\r', ' ').replace('\0', ' ');
    byte[] utf8 = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    if (utf8.length > LspciDump.MAX_NAME_BYTES) {
      s = new String(utf8, 0, LspciDump.MAX_NAME_BYTES - 3,
          java.nio.charset.StandardCharsets.UTF_8) + "...";
    }
    return s;
  }

  private static void verbose(PrintWriter out, FunctionInfo f, int[] dw) {
    int headerType = byteAt(dw, 0x0e) & 0x7f;
    if (headerType == 0) {
      out.printf("\tSubsystem: %04x:%04x%n", wordAt(dw, 0x2c), wordAt(dw, 0x2e));
    } else if (headerType == 1) {
      out.printf("\tBus: primary=%02x, secondary=%02x, subordinate=%02x%n", byteAt(dw, 0x18),
          byteAt(dw, 0x19), byteAt(dw, 0x1a));
    }
    out.printf("\tRevision: %02x, header type %d%s%n", byteAt(dw, 0x08), headerType,
        (byteAt(dw, 0x0e) & 0x80) != 0 ? ", multi-function" : "");
    if (f.getSlot() != 0) {
      out.printf("\tHot-plug slot: %d%n", f.getSlot());
    }
    out.printf("\tIOMMU group: %d%n", f.getIsolationGroup());
    if (!f.getLabel().isEmpty()) {
      out.printf("\tLabel: %s%n", f.getLabel());
    }
    if ((wordAt(dw, 0x06) & 0x10) != 0) {
      int at = byteAt(dw, 0x34) & 0xfc;
      for (int guard = 0; at >= 0x40 && guard < 48; guard++) {
        int id = byteAt(dw, at);
        out.printf("\tCapabilities: [%02x] %s%n", at, PciNames.capabilityName(id));
        at = byteAt(dw, at + 1) & 0xfc;
      }
    }
    if (dw.length * 4 > 0x100) {
      int at = 0x100;
      for (int guard = 0; at >= 0x100 && guard < 960; guard++) {
        int header = dw[at / 4];
        if (header == 0 || header == -1) {
          break;
        }
        out.printf("\tCapabilities: [%03x v%d] %s%n", at, (header >>> 16) & 0xf,
            PciNames.extendedCapabilityName(header & 0xffff));
        at = (header >>> 20) & 0xffc;
      }
    }
    out.printf("\tReset methods: %s%n", LsCommand.resetMethods(f).replace(',', ' '));
    out.printf("\tAssignable: %s%n", f.getAssignable() ? "yes"
        : "no (" + String.join("; ", f.getNotAssignableReasonsList()) + ")");
  }

  private static int byteAt(int[] dw, int offset) {
    return offset / 4 < dw.length ? (dw[offset / 4] >>> ((offset & 3) * 8)) & 0xff : 0xff;
  }

  private static int wordAt(int[] dw, int offset) {
    return byteAt(dw, offset) | byteAt(dw, offset + 1) << 8;
  }
}
