package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.pciefarm.grpc.PcieFarmServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.function.Executable;

/**
 * A real server for a test class: the default farm on an ephemeral TCP port of 127.0.0.1 and a
 * Unix socket in a temporary directory, with one client on each.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class LiveServer {
  /** How a test reaches the server. */
  public enum Via { TCP, UNIX }

  protected PcieFarmServer server;
  protected PcieFarmClient tcp;
  protected PcieFarmClient unix;
  private Path dir;

  /** Override to configure the server further. */
  protected PcieFarmServer.Builder configure(PcieFarmServer.Builder b) {
    return b;
  }

  @BeforeAll
  void startServer() throws IOException {
    dir = Files.createTempDirectory("pciefarm-test");
    server = configure(PcieFarmServer.builder().defaultFarm().port(0)
        .unixSocket(dir.resolve("farm.sock")).shutdownGrace(Duration.ofSeconds(2))).start();
    tcp = PcieFarmClient.connect(server.tcpTarget());
    unix = PcieFarmClient.connectUnix(server.unixSocket());
  }

  @AfterAll
  void stopServer() throws IOException {
    if (tcp != null) {
      tcp.close();
    }
    if (unix != null) {
      unix.close();
    }
    if (server != null) {
      server.close();
    }
    Files.deleteIfExists(dir.resolve("farm.sock"));
    Files.deleteIfExists(dir);
  }

  protected PcieFarmClient client(Via via) {
    return via == Via.TCP ? tcp : unix;
  }

  /** Runs {@code call}, expects a PcieFarmException with {@code code}; returns it. */
  public static PcieFarmException expect(Status.Code code, Executable call) {
    PcieFarmException e = assertThrows(PcieFarmException.class, call);
    assertEquals(code, e.code(), () -> "status of: " + e.getMessage());
    return e;
  }

  /** Runs a raw stub call, expects a StatusRuntimeException with {@code code}; returns it. */
  public static StatusRuntimeException expectRaw(Status.Code code, Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(code, e.getStatus().getCode(), () -> "status of: " + e.getMessage());
    return e;
  }
}
