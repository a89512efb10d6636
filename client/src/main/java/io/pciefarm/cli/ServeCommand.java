package io.pciefarm.cli;

import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.grpc.PcieFarmServer;
import io.pciefarm.grpc.TokenTable;
import io.pciefarm.proto.v1.HierarchySpec;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code pciefarm serve}: runs the server until interrupted (Ctrl-C, SIGTERM), then shuts down
 * gracefully. Without {@code --topology} it hosts the embedded example farm.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, description = {
    "Run the pciefarm gRPC server until interrupted.",
    "Without --topology it hosts the embedded examples, which cover the whole catalog."})
final class ServeCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--port", paramLabel = "PORT", defaultValue = "50051",
      description = "TCP port (default ${DEFAULT-VALUE}); 0 picks a free one.")
  int port;

  @Option(names = "--bind", paramLabel = "ADDR", defaultValue = "127.0.0.1",
      description = "Address to listen on for TCP (default ${DEFAULT-VALUE}).")
  String bind;

  @Option(names = "--no-tcp", description = "Listen only on the Unix socket.")
  boolean noTcp;

  @Option(names = "--unix", paramLabel = "PATH",
      description = "Also listen on this Unix domain socket (Linux).")
  Path unix;

  @Option(names = "--topology", paramLabel = "FILE", arity = "1..*",
      description = "Topology files to host (protobuf JSON, or an embedded example name)"
          + " instead of the default farm.")
  List<String> topologies = new ArrayList<>();

  @Option(names = "--max-batch", paramLabel = "N",
      defaultValue = "" + PcieFarmServer.DEFAULT_MAX_BATCH_ACCESSES,
      description = "Most accesses one batch may carry (default ${DEFAULT-VALUE}).")
  int maxBatch;

  @Option(names = "--max-streams", paramLabel = "N",
      defaultValue = "" + PcieFarmServer.DEFAULT_MAX_STREAMS_PER_CONNECTION,
      description = "Concurrent calls (HTTP/2 streams) per connection; more wait for a free"
          + " one (default ${DEFAULT-VALUE}).")
  int maxStreams;

  @Option(names = "--max-subscriptions-per-client", paramLabel = "N",
      defaultValue = "" + PcieFarmServer.DEFAULT_MAX_SUBSCRIPTIONS_PER_CLIENT,
      description = "Event subscriptions one client may hold: a tenant with --tokens, else a"
          + " connection (default ${DEFAULT-VALUE}).")
  int maxSubscriptionsPerClient;

  @Option(names = "--max-message-bytes", paramLabel = "BYTES",
      defaultValue = "" + PcieFarmServer.DEFAULT_MAX_INBOUND_MESSAGE_BYTES,
      description = "Largest request message accepted (default ${DEFAULT-VALUE}).")
  int maxMessageBytes;

  @Option(names = "--grace", paramLabel = "SECONDS", defaultValue = "10",
      description = "How long shutdown lets calls finish (default ${DEFAULT-VALUE}).")
  int graceSeconds;

  @Option(names = "--tokens", paramLabel = "FILE", description = {
      "Require bearer tokens: lines 'TOKEN TENANT [admin]' (# comments).",
      "Without it the farm is single-tenant and serves loopback only."})
  Path tokens;

  @Override
  public Integer call() throws Exception {
    if (noTcp && unix == null) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          "--no-tcp needs --unix PATH: there would be no listener");
    }
    positive("--max-batch", maxBatch);
    positive("--max-streams", maxStreams);
    positive("--max-subscriptions-per-client", maxSubscriptionsPerClient);
    positive("--max-message-bytes", maxMessageBytes);
    PcieFarmServer.Builder b = PcieFarmServer.builder().maxBatchAccesses(maxBatch)
        .maxStreamsPerConnection(maxStreams)
        .maxEventSubscriptionsPerClient(maxSubscriptionsPerClient)
        .maxInboundMessageBytes(maxMessageBytes)
        .shutdownGrace(Duration.ofSeconds(graceSeconds));
    TokenTable table = null;
    if (tokens != null) {
      table = TokenTable.read(tokens);
      b.tokens(table);
    }
    if (!noTcp) {
      b.bind(bind).port(port);
    }
    if (unix != null) {
      b.unixSocket(unix);
    }
    if (topologies.isEmpty()) {
      b.defaultFarm();
    } else {
      for (String t : topologies) {
        b.hierarchy(read(t));
      }
    }
    PcieFarmServer server = b.start();
    Thread hook = new Thread(server::close, "pciefarm-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    PrintWriter out = spec.commandLine().getOut();
    List<String> where = new ArrayList<>();
    if (server.tcpTarget() != null) {
      where.add(server.tcpTarget());
    }
    if (server.unixSocket() != null) {
      where.add("unix:" + server.unixSocket());
    }
    out.println(table == null
        ? "pciefarm: single-tenant, no tokens: every caller is the administrator 'local'"
        : "pciefarm: bearer tokens required: " + table.size() + " token"
            + (table.size() == 1 ? "" : "s") + " for " + String.join(", ", table.tenants()));
    out.printf("pciefarm: serving %d hierarchies (%s) on %s [%s]%n", server.farm().size(),
        server.farm().list().stream().map(h -> h.name()).collect(Collectors.joining(", ")),
        String.join(" and ", where), server.transport().name().toLowerCase());
    out.flush();
    try {
      server.awaitTermination();
    } catch (InterruptedException e) {
      server.close();
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException shuttingDown) {
        // the hook is running: it is what stopped the server
      }
    }
    return 0;
  }

  private void positive(String option, int value) {
    if (value <= 0) {
      throw new picocli.CommandLine.ParameterException(spec.commandLine(),
          option + " must be at least 1, not " + value);
    }
  }

  static HierarchySpec read(String file) {
    return TopologyFiles.EXAMPLES.contains(file) && !Path.of(file).toFile().exists()
        ? TopologyFiles.example(file) : TopologyFiles.read(Path.of(file));
  }
}
