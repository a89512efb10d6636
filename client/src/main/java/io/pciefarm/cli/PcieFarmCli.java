package io.pciefarm.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code pciefarm}: the one command-line tool. Errors print one line on stderr and exit
 * non-zero; usage errors exit 2, as shell tools do.
 */
@Command(name = "pciefarm", mixinStandardHelpOptions = true, version = "pciefarm 0.1.0",
    description = "Emulated PCI Express hierarchies for hypervisor and device-assignment tests.",
    subcommands = {CatalogCommand.class, TreeCommand.class})
public final class PcieFarmCli implements Runnable {

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the tool with the given streams; returns the exit code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new PcieFarmCli());
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler((ex, line, parsed) -> {
      String msg = ex.getMessage() == null ? ex.toString() : ex.getMessage();
      line.getErr().println("pciefarm: " + msg.lines().findFirst().orElse(msg));
      return 1;
    });
    return cl.execute(args);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(new CommandLine(this),
        "a subcommand is required; see pciefarm --help");
  }
}
