package io.pciefarm.cli;

import io.pciefarm.export.LspciDump.DumpDepth;
import picocli.CommandLine.Option;

/** lspci's {@code -x}, {@code -xxx}, {@code -xxxx}: how much config space to dump in hex. */
final class DumpDepthOptions {
  @Option(names = "-x", description = "Dump the standard header (64 bytes), as lspci -x.")
  boolean x;

  @Option(names = "-xxx", description = "Dump the whole PCI config space (256 bytes).")
  boolean xxx;

  @Option(names = "-xxxx", description = "Dump the extended PCIe config space (4096 bytes).")
  boolean xxxx;

  /** The deepest depth asked for, or null when no dump was asked for. */
  DumpDepth depth() {
    return xxxx ? DumpDepth.EXTENDED : xxx ? DumpDepth.FULL : x ? DumpDepth.STANDARD : null;
  }
}
