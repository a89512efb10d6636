package io.pciefarm.cli;

import io.pciefarm.client.PcieFarmClient;
import io.pciefarm.proto.v1.FunctionInfo;
import io.pciefarm.proto.v1.HierarchyInfo;
import io.pciefarm.proto.v1.ResetMethod;
import io.pciefarm.proto.v1.TopologySnapshot;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code pciefarm ls [HIERARCHY]}: the hierarchies, or one hierarchy's tree and functions. */
@Command(name = "ls", mixinStandardHelpOptions = true, description = {
    "List the farm's hierarchies, or show one with its tree and functions.",
    "With a name: the lspci -t tree, and each function's isolation group,",
    "assignability and reset methods."})
final class LsCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  ServerOptions server;

  @Parameters(arity = "0..1", paramLabel = "HIERARCHY", description = "Hierarchy to show.")
  String hierarchy;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    try (PcieFarmClient client = server.connect()) {
      if (hierarchy == null) {
        java.util.List<HierarchyInfo> all = client.hierarchies();
        out.printf("%-20s %-7s %5s %6s  %s%n", "NAME", "SEGMENT", "FUNCS", "GROUPS",
            "DESCRIPTION");
        for (HierarchyInfo h : all) {
          out.printf("%-20s %04x    %5d %6d  %s%n", h.getName(), h.getSegment(),
              h.getFunctionCount(), h.getGroupCount(), h.getDescription());
        }
      } else {
        TopologySnapshot t = client.topology(hierarchy);
        HierarchyInfo h = t.getHierarchies(0);
        out.printf("%s (segment %04x): %s%n%n", h.getName(), h.getSegment(), h.getDescription());
        out.print(t.getTree());
        out.println();
        out.printf("%-12s %5s %-10s %-26s %-30s %s%n", "ADDRESS", "GROUP", "ASSIGNABLE",
            "RESET", "MODEL", "LABEL");
        for (FunctionInfo f : t.getFunctionsList()) {
          out.printf("%-12s %5d %-10s %-26s %-30s %s%n",
              f.getReachable() ? f.getAddress() : "(unrouted)", f.getIsolationGroup(),
              f.getAssignable() ? "yes" : "no", resetMethods(f), f.getModel(),
              f.getLabel() + (f.getHost() ? " [host]" : ""));
        }
      }
    }
    out.flush();
    return 0;
  }

  static String resetMethods(FunctionInfo f) {
    String s = f.getResetMethodsList().stream().map(LsCommand::sysfsName)
        .collect(Collectors.joining(","));
    return s.isEmpty() ? "-" : s;
  }

  static String sysfsName(ResetMethod m) {
    return m.name().substring("RESET_METHOD_".length()).toLowerCase(Locale.ROOT);
  }
}
