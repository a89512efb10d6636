package io.pciefarm.cli;

import io.pciefarm.client.Address;
import io.pciefarm.client.PcieFarmClient;
import io.pciefarm.client.ResetSpec;
import io.pciefarm.proto.v1.AffectedFunction;
import io.pciefarm.proto.v1.HierarchyInfo;
import io.pciefarm.proto.v1.ProbeResetResponse;
import io.pciefarm.proto.v1.ResetMethod;
import io.pciefarm.proto.v1.ResetResponse;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code pciefarm reset}: resets a function, a device, a hot-plug slot or a bus through the
 * ResetService, as Linux's pci_reset_function and friends do; {@code --probe} says what a reset
 * would do instead.
 */
@Command(name = "reset", mixinStandardHelpOptions = true, sortOptions = false, description = {
    "Reset a function, device, hot-plug slot or bus (--probe: say what a reset would do).",
    "Targets:",
    "  -s BDF                 the function",
    "  -s BDF --device        every function of its device",
    "  -s PORT --slot         everything in the hot-plug slot of port PORT",
    "  --slot N -H NAME       everything in slot N of hierarchy NAME (or of -s BDF's)",
    "  --bus DDDD:BB          everything on bus BB of segment DDDD and below: a secondary",
    "                         bus reset of the bridge above it",
    "  -s BRIDGE --bus        everything below bridge BRIDGE",
    "Methods (--method, comma-separated): device_specific flr af_flr pm slot bus power_cycle,",
    "or FUNC, LINK, ANY; default: the function's reset_method (pciefarm reset-method).",
    "Waits for the functions to be ready again; exit status 1 when one did not come back.",
    "Examples: pciefarm reset -s 0001:03:00.0 --method flr --save-restore",
    "          pciefarm reset --slot 3 -H storage-switch --try --probe"})
final class ResetCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  ServerOptions server;

  @Option(names = "-s", paramLabel = "BDF", description = "The function (DDDD:BB:DD.F), or"
      + " the port or bridge with --slot or --bus.")
  String address;

  @Option(names = "--device", description = "Reset every function of -s BDF's device.")
  boolean device;

  @Option(names = "--slot", arity = "0..1", paramLabel = "N", fallbackValue = "0",
      description = "Reset a hot-plug slot: number N (with -H or -s), or -s PORT's.")
  Integer slot;

  @Option(names = "--bus", arity = "0..1", paramLabel = "DDDD:BB", fallbackValue = "",
      description = "Reset a bus: DDDD:BB, or the one below -s BRIDGE.")
  String bus;

  @Option(names = {"-H", "--hierarchy"}, paramLabel = "NAME",
      description = "The hierarchy of --slot N.")
  String hierarchy;

  @Option(names = {"-m", "--method"}, paramLabel = "LIST",
      description = "Allowed methods: names or FUNC, LINK, ANY.")
  String methods;

  @Option(names = "--try", description = "Fail at once if another reset holds the functions.")
  boolean tryOnce;

  @Option(names = "--wait", description = "Queue behind other resets (the default).")
  boolean waitForScope;

  @Option(names = "--timeout", paramLabel = "D",
      description = "With --wait: queue at most this long, e.g. 500ms, 10s, 1m.")
  String timeout;

  @Option(names = "--save-restore",
      description = "Save config state before and restore it after, as Linux does.")
  boolean saveRestore;

  @Option(names = "--no-wait-ready",
      description = "Return once the reset is issued, not once the functions are ready.")
  boolean noWaitReady;

  @Option(names = "--lease", paramLabel = "ID", description = "Narrow the reset to this lease"
      + " of yours (without it, any lease of your tenant counts).")
  String lease;

  @Option(names = "--probe", description = "Change nothing: show the method, what it would"
      + " hit, and who blocks it.")
  boolean probe;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (tryOnce && (waitForScope || timeout != null)) {
      throw usage("--try does not wait: leave out --wait and --timeout");
    }
    Duration wait = timeout == null ? null : parseDuration(timeout, "--timeout");
    try (PcieFarmClient client = server.connect()) {
      ResetSpec r = target(client);
      if (methods != null) {
        try {
          r = r.methods(methods);
        } catch (IllegalArgumentException e) {
          throw usage(e.getMessage());
        }
      }
      if (tryOnce) {
        r = r.tryOnce();
      } else if (wait != null) {
        r = r.waitUpTo(wait);
      }
      if (saveRestore) {
        r = r.saveRestore();
      }
      if (lease != null) {
        r = r.lease(lease);
      }
      r = r.waitReady(!noWaitReady);
      if (probe) {
        printProbe(out, client.probeReset(r));
        out.flush();
        return 0;
      }
      ResetResponse response = client.reset(r);
      printReset(out, r, response);
      out.flush();
      if (response.getNotReadyCount() > 0 && !noWaitReady) {
        err.println("pciefarm reset: " + response.getNotReadyCount() + " function(s) did not"
            + " become ready after the reset: " + String.join(", ", response.getNotReadyList()));
        err.flush();
        return 1;
      }
      return 0;
    }
  }

  /** The target the options name. */
  private ResetSpec target(PcieFarmClient client) {
    int given = (device ? 1 : 0) + (slot != null ? 1 : 0) + (bus != null ? 1 : 0);
    if (given > 1) {
      throw usage("give one of --device, --slot, --bus");
    }
    if (slot != null && slot > 0) {
      String h = hierarchy;
      if (h == null) {
        if (address == null) {
          throw usage("--slot " + slot + " needs -H HIERARCHY (or -s with a function of it)");
        }
        h = hierarchyOf(client, address(address).segment());
      }
      return ResetSpec.slot(h, slot);
    }
    if (bus != null && !bus.isEmpty()) {
      if (address != null) {
        throw usage("give --bus DDDD:BB or -s BRIDGE --bus, not both");
      }
      String[] parts = bus.split(":");
      int segment;
      int number;
      try {
        segment = parts.length == 2 ? Integer.parseInt(parts[0], 16) : 0;
        number = Integer.parseInt(parts[parts.length - 1], 16);
      } catch (NumberFormatException e) {
        segment = -1;
        number = -1;
      }
      if (parts.length > 2 || segment < 0 || segment > 0xFFFF || number < 0 || number > 0xFF) {
        throw usage("'" + bus + "' is not a bus: expected DDDD:BB (hex), e.g. 0001:02");
      }
      return ResetSpec.bus(hierarchyOf(client, segment), number);
    }
    if (hierarchy != null && slot == null) {
      throw usage("-H names the hierarchy of --slot N; functions carry their own (DDDD:BB:DD.F)");
    }
    if (address == null) {
      throw usage("nothing to reset: give -s BDF, --slot N -H NAME or --bus DDDD:BB");
    }
    String a = address(address).toString();
    if (device) {
      return ResetSpec.device(a);
    }
    if (slot != null) {
      return ResetSpec.slotOf(a);
    }
    if (bus != null) {
      return ResetSpec.busBelow(a);
    }
    return ResetSpec.function(a);
  }

  private Address address(String text) {
    try {
      return Address.parse(text);
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }

  /** The name of the hierarchy on {@code segment}. */
  static String hierarchyOf(PcieFarmClient client, int segment) {
    for (HierarchyInfo h : client.hierarchies()) {
      if (h.getSegment() == segment) {
        return h.getName();
      }
    }
    throw new IllegalStateException(String.format("no hierarchy has segment %04x", segment));
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  private Duration parseDuration(String text, String option) {
    try {
      return parseDuration(text);
    } catch (IllegalArgumentException e) {
      throw usage(option + ": " + e.getMessage());
    }
  }

  /** {@code 250ms}, {@code 2s}, {@code 1.5s}, {@code 3m}, or plain seconds. */
  static Duration parseDuration(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    double factor;
    String number;
    if (t.endsWith("ms")) {
      factor = 1e6;
      number = t.substring(0, t.length() - 2);
    } else if (t.endsWith("s")) {
      factor = 1e9;
      number = t.substring(0, t.length() - 1);
    } else if (t.endsWith("m")) {
      factor = 60e9;
      number = t.substring(0, t.length() - 1);
    } else {
      factor = 1e9;
      number = t;
    }
    try {
      double v = Double.parseDouble(number);
      if (v < 0 || Double.isNaN(v) || v * factor > Long.MAX_VALUE) {
        throw new NumberFormatException();
      }
      return Duration.ofNanos(Math.round(v * factor));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' is not a duration: e.g. 500ms, 10s, 1m");
    }
  }

  static String method(ResetMethod m) {
    return m == ResetMethod.RESET_METHOD_UNSPECIFIED ? "-" : ResetSpec.sysfsName(m);
  }

  static String methods(List<ResetMethod> ms) {
    return ms.isEmpty() ? "(none)"
        : ms.stream().map(ResetCommand::method).collect(Collectors.joining(" "));
  }

  private static void printProbe(PrintWriter out, ProbeResetResponse p) {
    out.println("method:    " + method(p.getMethod()));
    out.println("supported: " + methods(p.getSupportedList()));
    long blocking = p.getAffectedList().stream().filter(AffectedFunction::getBlocking).count();
    out.println("permitted: " + (p.getPermitted() ? "yes"
        : "no (" + blocking + " function(s) owned by others block it)"));
    out.printf("%-14s %5s %-16s %-34s %-8s %s%n", "ADDRESS", "GROUP", "OWNER", "LEASE",
        "BLOCKING", "IN USE");
    for (AffectedFunction a : p.getAffectedList()) {
      out.printf("%-14s %5d %-16s %-34s %-8s %s%n", a.getAddress(), a.getIsolationGroup(),
          a.getOwner().isEmpty() ? "-" : a.getOwner(),
          a.getLeaseId().isEmpty() ? "-" : a.getLeaseId(), a.getBlocking() ? "yes" : "no",
          a.getInUse().isEmpty() ? "-" : a.getInUse());
    }
  }

  private static void printReset(PrintWriter out, ResetSpec r, ResetResponse p) {
    out.printf("%s reset of %s: %d function(s)%n", method(p.getMethod()), r,
        p.getAffectedCount());
    for (AffectedFunction a : p.getAffectedList()) {
      out.printf("  %-14s group %d%s%n", a.getAddress(), a.getIsolationGroup(),
          a.getLeaseId().isEmpty() ? "" : ", lease " + a.getLeaseId());
    }
    if (p.getRestored()) {
      out.println("config state saved and restored");
    }
    if (p.hasReadyAfter()) {
      com.google.protobuf.Duration d = p.getReadyAfter();
      out.printf("ready %.3f s after the reset was issued%n",
          d.getSeconds() + d.getNanos() / 1e9);
    }
    for (String w : p.getWarningsList()) {
      out.println("warning: " + w);
    }
    if (p.getNotReadyCount() > 0) {
      out.println("not ready: " + String.join(", ", p.getNotReadyList()));
    }
    out.println("events from sequence " + p.getEventSequence());
  }
}
