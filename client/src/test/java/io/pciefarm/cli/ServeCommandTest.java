package io.pciefarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.pciefarm.client.PcieFarmClient;
import io.pciefarm.proto.v1.HierarchyInfo;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code pciefarm serve}: starts, answers health checks and requests, stops when interrupted. */
class ServeCommandTest {
  @TempDir
  Path dir;

  /** A serve command running in a thread, and what it printed. */
  private static final class Serving implements AutoCloseable {
    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    final AtomicInteger code = new AtomicInteger(-1);
    final Thread thread;

    Serving(String... args) throws InterruptedException {
      thread = new Thread(() -> code.set(PcieFarmCli.run(args, new PrintWriter(out, true),
          new PrintWriter(err, true))), "serve-under-test");
      thread.start();
      for (int i = 0; i < 600 && !out.toString().contains("serving") && thread.isAlive(); i++) {
        Thread.sleep(50);
      }
      assertTrue(out.toString().contains("serving"), "serve did not start: " + err);
    }

    @Override
    public void close() {
      thread.interrupt();
      try {
        thread.join(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for serve to stop", e);
      }
      assertFalse(thread.isAlive(), "serve did not stop when interrupted");
    }
  }

  @Test
  void servesTheDefaultFarmOnTcpAndUnixUntilInterrupted() throws Exception {
    Path socket = dir.resolve("farm.sock");
    Serving s = new Serving("serve", "--port", "0", "--unix", socket.toString());
    String target;
    try (s) {
      Matcher m = Pattern.compile("on (127\\.0\\.0\\.1:\\d+) and unix:").matcher(s.out.toString());
      assertTrue(m.find(), s.out.toString());
      target = m.group(1);
      assertTrue(s.out.toString().contains("serving 5 hierarchies"), s.out.toString());
      try (PcieFarmClient tcp = PcieFarmClient.connect(target);
          PcieFarmClient unix = PcieFarmClient.connectUnix(socket)) {
        assertEquals(ServingStatus.SERVING, tcp.health(""));
        assertEquals(ServingStatus.SERVING, unix.health("pciefarm.v1.ConfigService"));
        assertEquals(List.of("gpu-passthrough", "storage-switch", "legacy-bridge",
            "hotplug-rack", "catalog-showcase"),
            tcp.hierarchies().stream().map(HierarchyInfo::getName).toList());
        assertEquals(0x144d, unix.function("0001:03:00.0").readWord(0));
      }
      // The CLI talks to it too.
      CliTest.Result ls = CliTest.run("ls", "--unix", socket.toString());
      assertEquals(0, ls.code(), ls.err());
    }
    assertEquals(0, s.code.get(), s.err.toString());
    assertFalse(Files.exists(socket), "the socket file is removed on exit");
    CliTest.Result after = CliTest.run("ls", "--server", target);
    assertEquals(1, after.code());
  }

  @Test
  void servesTheTopologiesItIsGiven() throws Exception {
    Path socket = dir.resolve("t.sock");
    try (Serving s = new Serving("serve", "--no-tcp", "--unix", socket.toString(),
        "--topology", "storage-switch.json", "legacy-bridge.json")) {
      assertTrue(s.out.toString().contains("serving 2 hierarchies (storage-switch, legacy-bridge)"),
          s.out.toString());
      try (PcieFarmClient c = PcieFarmClient.connectUnix(socket)) {
        assertEquals(2, c.hierarchies().size());
        assertEquals("storage-switch", c.hierarchy("storage-switch").info().getSpec().getName());
      }
    }
  }

  @Test
  void withoutTokensItServesLoopbackOnly() {
    CliTest.Result r = CliTest.run("serve", "--bind", "0.0.0.0", "--port", "0");
    assertEquals(1, r.code());
    assertTrue(r.errLine().startsWith("pciefarm serve: refusing to listen on 0.0.0.0 without"
        + " authentication"), r.err());
    assertTrue(r.errLine().contains("--tokens FILE"), r.err());
  }

  @Test
  void withTokensItAuthenticatesAndMayServeEveryAddress() throws Exception {
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, "# test tokens\n"
        + "serve-alice-0123456789abcdef alice\n"
        + "serve-ops-0123456789abcdef01 ops admin\n");
    Files.setPosixFilePermissions(tokens, java.nio.file.attribute.PosixFilePermissions
        .fromString("rw-------"));
    try (Serving s = new Serving("serve", "--bind", "0.0.0.0", "--port", "0", "--tokens",
        tokens.toString(), "--topology", "storage-switch.json")) {
      assertTrue(s.out.toString().contains("bearer tokens required: 2 tokens for alice, ops"),
          s.out.toString());
      Matcher m = Pattern.compile("on (127\\.0\\.0\\.1:\\d+)").matcher(s.out.toString());
      assertTrue(m.find(), s.out.toString());
      try (PcieFarmClient none = PcieFarmClient.connect(m.group(1));
          PcieFarmClient alice = PcieFarmClient.builder(m.group(1))
              .token("serve-alice-0123456789abcdef").build()) {
        assertEquals(ServingStatus.SERVING, none.health(""));
        assertEquals(io.grpc.Status.Code.UNAUTHENTICATED, org.junit.jupiter.api.Assertions
            .assertThrows(io.pciefarm.client.PcieFarmException.class, none::hierarchies).code());
        assertEquals("alice", alice.serverInfo().getCallerTenant());
        assertEquals(1, alice.hierarchies().size());
      }
      CliTest.Result ls = CliTest.run("ls", "--server", m.group(1), "--token",
          "serve-ops-0123456789abcdef01");
      assertEquals(0, ls.code(), ls.err());
    }
  }

  @Test
  void limitOptionsReachTheServer() throws Exception {
    Path socket = dir.resolve("limits.sock");
    try (Serving s = new Serving("serve", "--no-tcp", "--unix", socket.toString(),
        "--topology", "storage-switch.json", "--max-batch", "10", "--max-streams", "3",
        "--max-subscriptions-per-client", "1", "--max-message-bytes", "65536");
        PcieFarmClient c = PcieFarmClient.connectUnix(socket)) {
      io.pciefarm.proto.v1.ServerInfo info = c.serverInfo();
      assertEquals(10, info.getMaxBatchAccesses());
      assertEquals(3, info.getMaxStreamsPerConnection());
      assertEquals(1, info.getMaxEventSubscriptionsPerClient());
      assertEquals(65536, info.getMaxMessageBytes());
      // Each limit acts: a second subscription on the connection, a message over 64 KiB.
      try (io.pciefarm.client.EventSubscription one = c.subscribe(null, 0, e -> { })) {
        assertEquals(io.grpc.Status.Code.RESOURCE_EXHAUSTED, assertThrows(
            io.pciefarm.client.PcieFarmException.class, () -> c.subscribe(null, 0, e -> { }))
            .code());
      }
      assertEquals(io.grpc.Status.Code.RESOURCE_EXHAUSTED, assertThrows(
          io.pciefarm.client.PcieFarmException.class, () -> c.createHierarchy(
              io.pciefarm.proto.v1.HierarchySpec.newBuilder().setName("x".repeat(70_000))
                  .build())).code());
    }
  }

  @Test
  void aLimitBelowOneIsAUsageError() {
    for (String option : List.of("--max-streams", "--max-subscriptions-per-client",
        "--max-message-bytes", "--max-batch")) {
      CliTest.Result r = CliTest.run("serve", "--port", "0", option, "0");
      assertEquals(2, r.code(), option + ": " + r.err());
      assertTrue(r.errLine().contains(option + " must be at least 1, not 0"), r.err());
    }
  }

  @Test
  void aBadTokenFileIsOneLineNamingTheLine() throws Exception {
    Path tokens = dir.resolve("tokens");
    Files.writeString(tokens, "serve-alice-0123456789abcdef alice\nshort bob\n");
    CliTest.Result r = CliTest.run("serve", "--port", "0", "--tokens", tokens.toString());
    assertEquals(1, r.code());
    assertTrue(r.errLine().contains(tokens + ":2: the token must be"), r.err());
    assertFalse(r.err().contains("short"), "tokens are not echoed");
  }

  @Test
  void aBadTopologyFileIsOneLine() {
    CliTest.Result r = CliTest.run("serve", "--port", "0", "--topology",
        dir.resolve("missing.json").toString());
    assertEquals(1, r.code());
    assertTrue(r.errLine().contains("missing.json"), r.err());
  }
}
