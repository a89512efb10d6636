package io.pciefarm.export;

import io.pciefarm.export.LspciDump.DumpDepth;
import io.pciefarm.export.LspciDump.DumpedFunction;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A whole hierarchy as {@code lspci -x} prints a machine: every function config requests reach
 * now, in address order, under its live address. What a client could read, no more.
 */
public final class HierarchyDump {
  private HierarchyDump() {}

  /** The reachable functions of {@code h}, dumped to {@code depth}. */
  public static String format(Hierarchy h, DumpDepth depth) {
    return LspciDump.format(functions(h), depth);
  }

  /** The reachable functions of {@code h} as dump entries, in address order. */
  public static List<DumpedFunction> functions(Hierarchy h) {
    List<DumpedFunction> out = new ArrayList<>();
    List<PciFunction> reachable = new ArrayList<>();
    for (PciFunction f : h.functions()) {
      if (f.address() != null) {
        reachable.add(f);
      }
    }
    reachable.sort(Comparator.comparing(PciFunction::address));
    for (PciFunction f : reachable) {
      PciAddress a = f.address();
      out.add(DumpedFunction.of(a.segment(), a.bus(), a.device(), a.function(),
          f.model().description(), f.config()));
    }
    return out;
  }
}
