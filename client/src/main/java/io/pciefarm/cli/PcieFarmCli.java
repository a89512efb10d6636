package io.pciefarm.cli;

import io.pciefarm.client.PcieFarmException;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code pciefarm}: the one command-line tool. Errors print one line on stderr and exit
 * non-zero: 2 for usage errors, 1 for everything else, as shell tools do.
 */
@Command(name = "pciefarm", mixinStandardHelpOptions = true, version = "pciefarm 0.1.0",
    description = "Emulated PCI Express hierarchies for hypervisor and device-assignment tests.",
    subcommands = {ServeCommand.class, LsCommand.class, LspciCommand.class, SetpciCommand.class,
        CatalogCommand.class, TreeCommand.class, LeaseCommand.class})
public final class PcieFarmCli implements Runnable {

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }

  /** Runs the tool with the given streams; returns the exit code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new PcieFarmCli());
    cl.setOut(out);
    cl.setErr(err);
    // setpci's own syntax: "-s SLOT" and "-d ID" start operation groups among the operations.
    cl.getSubcommands().get("setpci").setUnmatchedOptionsArePositionalParams(true);
    cl.setExecutionExceptionHandler((ex, line, parsed) -> {
      line.getErr().println(prefix(line) + oneLine(ex));
      line.getErr().flush();
      return 1;
    });
    cl.setParameterExceptionHandler((ex, args1) -> {
      CommandLine line = ex.getCommandLine();
      line.getErr().println(prefix(line) + oneLine(ex) + " (see "
          + line.getCommandSpec().qualifiedName() + " --help)");
      line.getErr().flush();
      return CommandLine.ExitCode.USAGE;
    });
    return cl.execute(args);
  }

  private static String prefix(CommandLine line) {
    return line.getCommandSpec().qualifiedName() + ": ";
  }

  /** The first line of the exception's message, or its type when it has none. */
  static String oneLine(Throwable ex) {
    String msg = ex.getMessage();
    if (ex instanceof PcieFarmException p && p.code() == io.grpc.Status.Code.UNAVAILABLE) {
      msg = msg + " (is `pciefarm serve` running there? set --server, --unix or "
          + ServerOptions.ENV + ")";
    }
    if (msg == null || msg.isBlank()) {
      msg = ex.toString();
    }
    return msg.lines().findFirst().orElse(msg);
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(new CommandLine(this),
        "a subcommand is required; see pciefarm --help");
  }
}
