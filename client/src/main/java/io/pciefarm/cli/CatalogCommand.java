package io.pciefarm.cli;

import io.pciefarm.config.ConfigSpace;
import io.pciefarm.device.Catalog;
import io.pciefarm.device.DeviceModel;
import io.pciefarm.device.FunctionModel;
import io.pciefarm.export.LspciDump;
import io.pciefarm.export.LspciDump.DumpDepth;
import io.pciefarm.export.LspciDump.DumpedFunction;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pciefarm catalog}: lists the device models, or dumps their reset-state config space in
 * lspci's hex format so that {@code lspci -F FILE -vvv} decodes it. Model {@code i} (0-based) is
 * dumped at {@code 0000:<i+1>:00.F}.
 */
@Command(name = "catalog", description = {
    "List the device models, or dump them as lspci -x/-xxx/-xxxx does.",
    "Example: pciefarm catalog -xxxx > dump && lspci -F dump -vvv"})
final class CatalogCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @ArgGroup(exclusive = false)
  DumpDepthOptions dump = new DumpDepthOptions();

  @Parameters(arity = "0..*", paramLabel = "MODEL", description = "Models to show (default all).")
  List<String> models = new ArrayList<>();

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    Collection<DeviceModel> chosen = models.isEmpty() ? Catalog.all()
        : models.stream().map(Catalog::get).toList();
    DumpDepth depth = dump.depth();
    if (depth == null) {
      list(out, chosen);
    } else {
      out.print(LspciDump.format(dumpOf(chosen), depth));
    }
    out.flush();
    return 0;
  }

  private static void list(PrintWriter out, Collection<DeviceModel> models) {
    out.printf("%-32s %-9s %s%n", "MODEL", "IDS", "SUMMARY");
    for (DeviceModel m : models) {
      FunctionModel f0 = m.function(0);
      out.printf("%-32s %04x:%04x %s%n", m.name(), f0.vendorId(), f0.deviceId(), m.summary());
    }
  }

  private static List<DumpedFunction> dumpOf(Collection<DeviceModel> models) {
    List<DumpedFunction> out = new ArrayList<>();
    int bus = 1;
    for (DeviceModel m : models) {
      for (int fn : m.functionNumbers()) {
        FunctionModel f = m.function(fn);
        out.add(DumpedFunction.of(0, bus, 0, fn, f.description(), new ConfigSpace(f.layout())));
      }
      bus++;
    }
    return out;
  }
}
