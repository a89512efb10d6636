package io.pciefarm.cli;

import io.pciefarm.client.Address;
import io.pciefarm.client.PcieFarmClient;
import io.pciefarm.proto.v1.FunctionInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pciefarm setpci}: reads and writes config registers with setpci's syntax, over the
 * farm's config service.
 *
 * <pre>
 * setpci [-v] [-D] [-f] (-s SLOT | -d VENDOR:DEVICE)... REG[+OFF][.B|.W|.L][@N][=VALUE[:MASK][,VALUE...]]...
 * </pre>
 *
 * A filter starts a group; the operations after it apply to every function it selects. REG is
 * a hex offset, a register name (COMMAND, BRIDGE_CONTROL, ...), or a capability: CAP_EXP,
 * ECAP_AER, CAPxx, ECAPxxx, meaning where the function's capability sits ({@code @N}: its N-th
 * instance). A read prints the value in hex; a write with a mask changes only the mask's bits
 * (read, merge, write); comma-separated values go to consecutive registers.
 */
@Command(name = "setpci", mixinStandardHelpOptions = true, description = {
    "Read and write config registers by name or offset, as setpci does.",
    "Syntax:",
    "  -s SLOT REG[+OFF][.B|.W|.L][@N][=VALUE[:MASK][,VALUE...]]...",
    "e.g. setpci -s 0001:03:00.0 COMMAND CAP_EXP+8.w ECAP_AER+4.l=0:1"})
final class SetpciCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  ServerOptions server;

  @Option(names = "-v", description = "Be verbose: show each access.")
  boolean verbose;

  @Option(names = "-D", description = "Demo mode: show the writes, do not do them.")
  boolean demo;

  @Option(names = "-f", description = "Do not complain when a filter selects nothing.")
  boolean force;

  @Option(names = "--dumpregs", description = "List the register names and exit.")
  boolean dumpRegs;

  @Parameters(arity = "0..*", paramLabel = "-s SLOT|-d ID|REG...",
      description = "Filters and the operations for the functions they select.")
  List<String> words = new ArrayList<>();

  /** One parsed operation. */
  record Op(String text, Registers.Named named, int capabilityKind, int capabilityId,
      int instance, int offset, int width, long[] values, long[] masks) {
    boolean isWrite() {
      return values.length > 0;
    }
  }

  record Group(DeviceFilter filter, List<Op> ops) {}

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (dumpRegs) {
      dumpRegisters(out);
      return 0;
    }
    List<Group> groups = parse(words);
    int status = 0;
    try (PcieFarmClient client = server.connect()) {
      List<FunctionInfo> functions = client.topology("").getFunctionsList();
      int n = 0;
      for (Group g : groups) {
        n++;
        List<FunctionInfo> selected = functions.stream().filter(g.filter()::matches).toList();
        if (selected.isEmpty() && !force) {
          err.printf("pciefarm setpci: no function matches %s (operation group %d)%n", g.filter(), n);
          status = 1;
        }
        for (FunctionInfo f : selected) {
          for (Op op : g.ops()) {
            execute(client, f, op, out);
          }
        }
      }
    }
    out.flush();
    err.flush();
    return status;
  }

  private void execute(PcieFarmClient client, FunctionInfo f, Op op, PrintWriter out) {
    Address a = Address.unpack(f.getPackedAddress());
    String slot = a.toString();
    StringBuilder trace = new StringBuilder(slot).append(' ');
    int base = 0;
    if (op.capabilityKind() != 0) {
      base = op.capabilityKind() == 1
          ? findCapability(client, a, op.capabilityId(), op.instance())
          : findExtendedCapability(client, a, op.capabilityId(), op.instance());
      if (base < 0) {
        throw new IllegalStateException(String.format(
            "%s: %s %s not found%s", slot, op.capabilityKind() == 1 ? "capability"
                : "extended capability", capabilityLabel(op), op.instance() > 0
                ? " (instance #" + op.instance() + ")" : ""));
      }
      trace.append(String.format(op.capabilityKind() == 1 ? "(cap %02x @%02x) "
          : "(ecap %04x @%03x) ", op.capabilityId(), base));
    }
    int addr = base + op.offset();
    int width = op.width();
    if ((addr & (width - 1)) != 0) {
      throw new IllegalStateException(String.format(
          "%s: unaligned access of width %d to register %04x", slot, width, addr));
    }
    int count = Math.max(1, op.values().length);
    if (addr + width * count > 0x1000) {
      throw new IllegalStateException(String.format(
          "%s: access of width %d to register %04x is out of range", slot, width, addr));
    }
    if (op.named() != null && op.named().headerTypes() != Registers.ANY) {
      int headerType = client.read(a, 0x0e, 1) & 0x7f;
      if (headerType > 2 || (op.named().headerTypes() & (1 << headerType)) == 0) {
        throw new IllegalStateException(String.format(
            "%s: has no register %s (header type %d)", slot, op.named().name(), headerType));
      }
    }
    trace.append(String.format("@%02x", addr));
    String digits = "%0" + (width * 2) + "x";
    long full = width == 4 ? 0xFFFFFFFFL : (1L << (width * 8)) - 1;
    if (!op.isWrite()) {
      int value = client.read(a, addr, width);
      if (verbose) {
        out.println(trace + " = " + String.format(digits, value));
      } else {
        out.println(String.format(digits, value));
      }
      return;
    }
    for (int i = 0; i < op.values().length; i++, addr += width) {
      long value = op.values()[i];
      long mask = op.masks()[i];
      long x;
      if ((mask & full) == full) {
        x = value & full;
        trace.append(' ').append(String.format(digits, x));
      } else {
        long y = client.read(a, addr, width) & full;
        x = (y & ~mask | value) & full;
        trace.append(' ').append(String.format(digits + "->(" + digits + ":" + digits + ")->"
            + digits, y, value, mask & full, x));
      }
      if (!demo) {
        client.write(a, addr, width, (int) x);
      }
    }
    if (verbose || demo) {
      out.println(trace);
    }
  }

  private static String capabilityLabel(Op op) {
    return op.named() != null ? op.named().name()
        : String.format(op.capabilityKind() == 1 ? "%02x" : "%04x", op.capabilityId());
  }

  /** Offset of the {@code instance}-th capability {@code id} in the standard list, or -1. */
  static int findCapability(PcieFarmClient client, Address a, int id, int instance) {
    if ((client.read(a, 0x06, 2) & 0x10) == 0) {
      return -1;
    }
    int at = client.read(a, 0x34, 1) & 0xfc;
    int seen = 0;
    for (int guard = 0; at >= 0x40 && guard < 48; guard++) {
      int header = client.read(a, at, 2);
      if ((header & 0xff) == id && seen++ == instance) {
        return at;
      }
      at = (header >>> 8) & 0xfc;
    }
    return -1;
  }

  /** Offset of the {@code instance}-th extended capability {@code id}, or -1. */
  static int findExtendedCapability(PcieFarmClient client, Address a, int id, int instance) {
    int at = 0x100;
    int seen = 0;
    for (int guard = 0; at >= 0x100 && guard < 960; guard++) {
      int header = client.read(a, at, 4);
      if (header == 0 || header == -1) {
        return -1;
      }
      if ((header & 0xffff) == id && seen++ == instance) {
        return at;
      }
      at = (header >>> 20) & 0xffc;
    }
    return -1;
  }

  // -----------------------------------------------------------------------------------------
  // Parsing: every mistake is a usage error (exit 2) naming the word at fault.

  private List<Group> parse(List<String> args) {
    List<Group> groups = new ArrayList<>();
    Group current = null;
    for (int i = 0; i < args.size(); i++) {
      String w = args.get(i);
      if (w.startsWith("-") && w.length() >= 2 && (w.charAt(1) == 's' || w.charAt(1) == 'd')) {
        String value;
        if (w.length() > 2) {
          value = w.charAt(2) == '=' ? w.substring(3) : w.substring(2);
        } else if (i + 1 < args.size()) {
          value = args.get(++i);
        } else {
          throw usage("option " + w + " needs a value");
        }
        if (current == null || !current.ops().isEmpty()) {
          current = new Group(new DeviceFilter(), new ArrayList<>());
          groups.add(current);
        }
        try {
          if (w.charAt(1) == 's') {
            current.filter().slot(value);
          } else {
            current.filter().id(value);
          }
        } catch (IllegalArgumentException e) {
          throw usage(e.getMessage());
        }
      } else if (w.startsWith("-")) {
        throw usage("unknown option " + w + " (filters are -s SLOT and -d VENDOR:DEVICE)");
      } else {
        if (current == null) {
          throw usage("'" + w + "' comes before any filter: start with -s SLOT or"
              + " -d VENDOR:DEVICE");
        }
        current.ops().add(parseOp(w));
      }
    }
    if (groups.isEmpty()) {
      throw usage("nothing to do: give -s SLOT and at least one register operation");
    }
    for (Group g : groups) {
      if (g.ops().isEmpty()) {
        throw usage("filter " + g.filter() + " has no register operation after it");
      }
    }
    return groups;
  }

  private Op parseOp(String text) {
    String rest = text;
    String valuePart = null;
    String instancePart = null;
    String widthPart = null;
    String offsetPart = null;
    int eq = rest.indexOf('=');
    if (eq >= 0) {
      valuePart = rest.substring(eq + 1);
      rest = rest.substring(0, eq);
    }
    int at = rest.indexOf('@');
    if (at >= 0) {
      instancePart = rest.substring(at + 1);
      rest = rest.substring(0, at);
    }
    int dot = rest.indexOf('.');
    if (dot >= 0) {
      widthPart = rest.substring(dot + 1);
      rest = rest.substring(0, dot);
    }
    int plus = rest.indexOf('+');
    if (plus >= 0) {
      offsetPart = rest.substring(plus + 1);
      rest = rest.substring(0, plus);
    }
    String base = rest;
    int width = 0;
    if (widthPart != null) {
      if (widthPart.length() != 1 || "bBwWlL".indexOf(widthPart.charAt(0)) < 0) {
        throw usage("invalid width '" + widthPart + "' in '" + text + "': use .B, .W or .L");
      }
      char c = Character.toUpperCase(widthPart.charAt(0));
      width = c == 'B' ? 1 : c == 'W' ? 2 : 4;
    }
    int instance = 0;
    if (instancePart != null) {
      instance = (int) hex(instancePart, 0x7fffffffL, "capability instance", text);
    }
    Registers.Named named = null;
    int capKind = 0;
    int capId = 0;
    int offset;
    Long number = tryHex(base);
    if (number != null) {
      offset = number.intValue();
      if (number > 0xfff) {
        throw usage("register number " + base + " in '" + text + "' is out of range (0..fff)");
      }
    } else if ((named = Registers.byName(base)) != null) {
      offset = named.offset();
      capKind = named.capabilityKind();
      capId = named.capabilityId();
      if (width == 0) {
        width = named.width();
      }
    } else if (base.regionMatches(true, 0, "ECAP", 0, 4) && tryHex(base.substring(4)) != null
        && tryHex(base.substring(4)) < 0x1000) {
      offset = 0;
      capKind = 2;
      capId = tryHex(base.substring(4)).intValue();
    } else if (base.regionMatches(true, 0, "CAP", 0, 3) && tryHex(base.substring(3)) != null
        && tryHex(base.substring(3)) < 0x100) {
      offset = 0;
      capKind = 1;
      capId = tryHex(base.substring(3)).intValue();
    } else {
      throw usage("unknown register '" + base + "' in '" + text
          + "' (pciefarm setpci --dumpregs lists the names)");
    }
    if (width == 0) {
      throw usage("missing width in '" + text + "': add .B, .W or .L");
    }
    if (offsetPart != null) {
      offset += (int) hex(offsetPart, 0xfff, "offset", text);
    }
    long[] values = new long[0];
    long[] masks = new long[0];
    if (valuePart != null) {
      if (valuePart.isEmpty()) {
        throw usage("missing value after '=' in '" + text + "'");
      }
      String[] items = valuePart.split(",", -1);
      values = new long[items.length];
      masks = new long[items.length];
      long limit = width == 4 ? 0xFFFFFFFFL : (1L << (width * 8)) - 1;
      for (int i = 0; i < items.length; i++) {
        String item = items[i];
        int colon = item.indexOf(':');
        String v = colon >= 0 ? item.substring(0, colon) : item;
        values[i] = hex(v, limit, "value", text);
        if (colon >= 0) {
          masks[i] = hex(item.substring(colon + 1), limit, "mask", text);
          values[i] &= masks[i];
        } else {
          masks[i] = 0xFFFFFFFFL;
        }
      }
    }
    int count = Math.max(1, values.length);
    if (capKind == 0) {
      if (offset + width * count > 0x1000) {
        throw usage(String.format("register %02x in '%s' is out of range", offset, text));
      }
      if ((offset & (width - 1)) != 0) {
        throw usage(String.format("unaligned register address %02x in '%s' for width %d",
            offset, text, width));
      }
    }
    return new Op(text, named, capKind, capId, instance, offset, width, values, masks);
  }

  private static Long tryHex(String s) {
    // setpci parses with strtoul(..., 16), which takes an optional 0x prefix.
    if (s.length() > 2 && (s.startsWith("0x") || s.startsWith("0X"))) {
      s = s.substring(2);
    }
    if (s.isEmpty() || s.length() > 8) {
      return null;
    }
    try {
      return Long.parseLong(s, 16);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private long hex(String s, long max, String what, String text) {
    Long v = tryHex(s);
    if (v == null) {
      throw usage("invalid " + what + " '" + s + "' in '" + text + "': expected hex");
    }
    if (v > max) {
      throw usage(String.format("%s %s in '%s' is out of range (at most %x)", what, s, text,
          max));
    }
    return v;
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  private static void dumpRegisters(PrintWriter out) {
    out.println("NAME                    CAP  OFF WIDTH HEADERS");
    for (Registers.Named r : Registers.all()) {
      String cap = r.capabilityKind() == 1 ? String.format("  %02x", r.capabilityId())
          : r.capabilityKind() == 2 ? String.format("%04x", r.capabilityId()) : "   -";
      String headers = r.headerTypes() == Registers.ANY ? "all"
          : ((r.headerTypes() & Registers.TYPE0) != 0 ? "0" : "")
          + ((r.headerTypes() & Registers.TYPE1) != 0 ? "1" : "")
          + ((r.headerTypes() & Registers.CARDBUS) != 0 ? "2" : "");
      out.printf("%-23s %s  %02x %5s %s%n", r.name(), cap, r.offset(),
          r.width() == 0 ? "-" : ".BW?L".charAt(r.width()) + "", headers);
    }
  }
}
