package io.pciefarm.cli;

import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.proto.v1.HierarchySpec;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.HierarchyBuilder;
import io.pciefarm.topology.TopologyTree;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pciefarm tree FILE}: builds a topology file locally (validating it as the server
 * would) and draws it as {@code lspci -t}. Handy for writing topology files.
 */
@Command(name = "tree", description = {
    "Validate a topology file and draw it as lspci -t would.",
    "FILE is protobuf JSON (see examples/); a bare example name such as",
    "storage-switch.json reads the embedded copy."})
final class TreeCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Parameters(paramLabel = "FILE", description = "Topology file, or an embedded example name.")
  String file;

  @Override
  public Integer call() {
    HierarchySpec s = TopologyFiles.EXAMPLES.contains(file) && !Path.of(file).toFile().exists()
        ? TopologyFiles.example(file) : TopologyFiles.read(Path.of(file));
    Hierarchy h = HierarchyBuilder.build(s);
    PrintWriter out = spec.commandLine().getOut();
    out.print(TopologyTree.render(h));
    out.flush();
    return 0;
  }
}
