package io.pciefarm.client.junit;

import io.pciefarm.client.PcieFarmClient;
import io.pciefarm.grpc.PcieFarmServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Optional;

/**
 * The farm fixtures are made on: a remote one ({@code PCIEFARM_SERVER}) or one started in this
 * JVM. Shared by every test of a run; closed when the run ends.
 */
public final class FixtureFarm {
  private final PcieFarmClient client;
  private final PcieFarmServer server;

  private FixtureFarm(PcieFarmClient client, PcieFarmServer server) {
    this.client = client;
    this.server = server;
  }

  /** Connects to {@code target} with {@code token} (null: none). */
  static FixtureFarm remote(String target, String token) {
    return new FixtureFarm(PcieFarmClient.builder(target).token(token).build(), null);
  }

  /** Starts an empty single-tenant farm on 127.0.0.1, an ephemeral port. */
  static FixtureFarm inProcess() {
    PcieFarmServer server;
    try {
      server = PcieFarmServer.builder().port(0).shutdownGrace(Duration.ofSeconds(2)).start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the in-process pciefarm server", e);
    }
    return new FixtureFarm(PcieFarmClient.connect(server.tcpTarget()), server);
  }

  /** The connection every fixture uses. */
  public PcieFarmClient client() {
    return client;
  }

  /** The in-process server, when the farm is one (its engine is there to inspect). */
  public Optional<PcieFarmServer> server() {
    return Optional.ofNullable(server);
  }

  /** What the client connects to. */
  public String target() {
    return client.target();
  }

  void close() {
    try {
      client.close();
    } finally {
      if (server != null) {
        server.close();
      }
    }
  }

  @Override
  public String toString() {
    return "pciefarm " + (server != null ? "in-process at " : "at ") + target();
  }
}
