package io.pciefarm.cli;

import io.pciefarm.client.Address;
import io.pciefarm.client.PcieFarmClient;
import io.pciefarm.client.ResetSpec;
import io.pciefarm.proto.v1.ResetMethod;
import io.pciefarm.proto.v1.ResetMethods;
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
 * {@code pciefarm reset-method}: reads or writes a function's reset_method list, as
 * {@code cat} and {@code echo > /sys/bus/pci/devices/DDDD:BB:DD.F/reset_method} do.
 */
@Command(name = "reset-method", mixinStandardHelpOptions = true, description = {
    "Show or set a function's reset methods, as its sysfs reset_method file does.",
    "Without LIST: the enabled methods, in the order a reset tries them.",
    "LIST: the methods to enable, in order (space- or comma-separated, e.g. \"flr bus\");",
    "\"default\" enables every supported method in Linux's order; \"\" disables resets.",
    "An unsupported or repeated method is refused and the list stays as it was.",
    "Examples: pciefarm reset-method -s 0001:03:00.0 \"bus flr\"",
    "          pciefarm reset-method -s 0001:03:00.0 default"})
final class ResetMethodCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  ServerOptions server;

  @Option(names = "-s", required = true, paramLabel = "BDF",
      description = "The function (DDDD:BB:DD.F).")
  String address;

  @Option(names = {"-v", "--verbose"}, description = "Show the supported methods too.")
  boolean verbose;

  @Parameters(arity = "0..1", paramLabel = "LIST", description = "Methods, \"default\" or \"\".")
  String list;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Address a;
    List<ResetMethod> wanted = null;
    try {
      a = Address.parse(address);
      if (list != null && !list.isBlank() && !list.trim().equals("default")) {
        wanted = new ArrayList<>();
        for (String w : list.trim().split("[,\\s]+")) {
          wanted.add(ResetSpec.method(w));
        }
      }
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), e.getMessage());
    }
    try (PcieFarmClient client = server.connect()) {
      ResetMethods m;
      if (list == null) {
        m = client.resetMethods(a);
      } else if (list.isBlank()) {
        m = client.disableResets(a);
      } else {
        m = client.setResetMethods(a, wanted == null ? List.of() : wanted);
      }
      out.println(sysfs(m.getEnabledList()));
      if (verbose) {
        out.println("supported: " + sysfs(m.getSupportedList()));
      }
    }
    out.flush();
    return 0;
  }

  /** As sysfs prints it: names separated by spaces, nothing when resets are disabled. */
  static String sysfs(List<ResetMethod> methods) {
    return String.join(" ", methods.stream().map(ResetSpec::sysfsName).toList());
  }
}
