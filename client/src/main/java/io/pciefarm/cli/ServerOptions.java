package io.pciefarm.cli;

import io.pciefarm.client.PcieFarmClient;
import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Where the server is: {@code --server HOST:PORT}, {@code --unix PATH}, else the environment
 * variable {@value #ENV} ({@code HOST:PORT} or {@code unix:PATH}), else {@value #DEFAULT}. And
 * who is asking: {@code --token TOKEN}, else {@value #TOKEN_ENV}, for a server with a token
 * table.
 */
final class ServerOptions {
  static final String ENV = "PCIEFARM_SERVER";
  static final String DEFAULT = "127.0.0.1:50051";
  static final String TOKEN_ENV = "PCIEFARM_TOKEN";

  @Spec(Spec.Target.MIXEE)
  CommandSpec command;

  @Option(names = "--server", paramLabel = "HOST:PORT",
      description = "Server to talk to (default: $" + ENV + ", else " + DEFAULT + ").")
  String server;

  @Option(names = "--unix", paramLabel = "PATH",
      description = "Talk to the server over this Unix domain socket instead.")
  Path unix;

  @Option(names = "--token", paramLabel = "TOKEN",
      description = "Bearer token for a server with a token table (default: $" + TOKEN_ENV
          + "; the variable keeps it out of the process list).")
  String token;

  /** The token to send, or null. */
  String token() {
    if (token != null) {
      return token;
    }
    String env = System.getenv(TOKEN_ENV);
    return env == null || env.isBlank() ? null : env.trim();
  }

  /** The target as PcieFarmClient.connect takes it. */
  String target() {
    if (unix != null) {
      return "unix:" + unix;
    }
    if (server != null) {
      return server;
    }
    String env = System.getenv(ENV);
    return env == null || env.isBlank() ? DEFAULT : env.trim();
  }

  PcieFarmClient connect() {
    if (unix != null && server != null) {
      throw new ParameterException(command.commandLine(), "give --server or --unix, not both");
    }
    return PcieFarmClient.builder(target()).token(token()).build();
  }
}
