package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.pciefarm.cli.PcieFarmCli;
import io.pciefarm.grpc.PcieFarmServer;
import io.pciefarm.proto.v1.ServerInfo;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import io.pciefarm.client.LiveServer.Via;
import io.pciefarm.grpc.Caller;
import io.pciefarm.grpc.TokenTable;
import io.pciefarm.proto.v1.EventFilter;
import java.nio.file.Path;
import java.util.Map;

/**
 * Limits other than the defaults: batch size, streams per connection, event subscriptions per
 * client, the farm queue.
 */
class ServerLimitsTest {
  @TempDir
  Path dir;

  private static final Address NVME = Address.parse("0001:03:00.0");

  @Test
  void serverInfoReportsTheLimitsAndTheCliRespectsThem() throws Exception {
    try (PcieFarmServer server = PcieFarmServer.builder().defaultFarm().port(0)
        .maxBatchAccesses(100).maxInboundMessageBytes(1 << 20).maxStreamsPerConnection(16)
        .start(); PcieFarmClient c = PcieFarmClient.connect(server.tcpTarget())) {
      ServerInfo info = c.serverInfo();
      assertEquals(PcieFarmServer.VERSION, info.getVersion());
      assertEquals(java.util.Set.of("pciefarm.v1.FarmService", "pciefarm.v1.ConfigService",
          "pciefarm.v1.ResetService", "pciefarm.v1.HotPlugService", "pciefarm.v1.EventService",
          "pciefarm.v1.LeaseService"), java.util.Set.copyOf(info.getServicesList()));
      assertEquals(false, info.getAuthentication());
      assertEquals("local", info.getCallerTenant());
      assertEquals(true, info.getCallerAdmin());
      assertEquals(30, info.getDefaultLeaseTtl().getSeconds());
      assertEquals(24 * 3600, info.getMaxLeaseTtl().getSeconds());
      assertEquals(100, info.getMaxBatchAccesses());
      assertEquals(1 << 20, info.getMaxMessageBytes());
      assertEquals(16, info.getMaxStreamsPerConnection());
      assertEquals(server.transport().name().toLowerCase(), info.getTransport());

      Batch b = new Batch();
      for (int i = 0; i < 101; i++) {
        b.read(NVME, 0, 4);
      }
      try (ConfigStream s = c.openStream()) {
        PcieFarmException e = expectCode(Status.Code.RESOURCE_EXHAUSTED, () -> s.execute(b));
        assertTrue(e.getMessage().contains("the limit is 100"), e.getMessage());
      }
      // lspci reads 1024 dwords per function, in batches the server accepts.
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      int code = PcieFarmCli.run(new String[] {"lspci", "--server", server.tcpTarget(),
          "-xxxx", "-s", "0001:03:00.0"}, new PrintWriter(out), new PrintWriter(err));
      assertEquals(0, code, err.toString());
      assertEquals(4096 / 16 + 2, out.toString().lines().count());
    }
  }

  @Test
  void streamsBeyondTheConnectionLimitWaitForAFreeOne() throws Exception {
    try (PcieFarmServer server = PcieFarmServer.builder().defaultFarm().port(0)
        .maxStreamsPerConnection(2).start();
        PcieFarmClient c = PcieFarmClient.connect(server.tcpTarget())) {
      Batch b = new Batch();
      b.read(NVME, 0, 4);
      int ids = c.function(NVME).readDword(0);
      ConfigStream first = c.openStream();
      ConfigStream second = c.openStream();
      assertEquals(ids, first.execute(b).value(0));
      assertEquals(ids, second.execute(b).value(0));
      ConfigStream third = c.openStream();
      CompletableFuture<BatchResult> waiting = third.submit(b);
      // Both streams the connection may have are taken: the third cannot start.
      assertThrows(TimeoutException.class, () -> waiting.get(1, TimeUnit.SECONDS));
      assertFalse(waiting.isDone());
      first.close();
      assertEquals(ids, waiting.get(30, TimeUnit.SECONDS).value(0));
      second.close();
      third.close();
    }
  }

  @Test
  void aFullFarmQueueIsResourceExhausted() throws Exception {
    ExecutorService refusing = Executors.newSingleThreadExecutor();
    refusing.shutdown(); // rejects every task, as a full queue does
    try (PcieFarmServer server = PcieFarmServer.builder().defaultFarm().port(0)
        .farmExecutor(refusing).start();
        PcieFarmClient c = PcieFarmClient.connect(server.tcpTarget())) {
      PcieFarmException e = expectCode(Status.Code.RESOURCE_EXHAUSTED, c::hierarchies);
      assertTrue(e.getMessage().contains("busy"), e.getMessage());
      expectCode(Status.Code.RESOURCE_EXHAUSTED, () -> c.topology(""));
      // Config access never goes through that queue.
      assertEquals(0x144d, c.function(NVME).readWord(0));
      assertEquals(4096, c.serverInfo().getMaxBatchAccesses());
    }
  }

  private static final EventFilter ALL = EventFilter.getDefaultInstance();

  private static EventSubscription subscribe(PcieFarmClient c) {
    return c.subscribe(ALL, 0, e -> { });
  }

  private static PcieFarmClient connect(PcieFarmServer server, Via via, String token) {
    return PcieFarmClient.builder(via == Via.TCP ? server.tcpTarget()
        : "unix:" + server.unixSocket()).token(token).build();
  }

  /**
   * Without tokens each connection is a client: it may hold its share of event subscriptions,
   * and another connection has a share of its own; the whole server's limit still holds.
   */
  @ParameterizedTest
  @EnumSource(Via.class)
  void eventSubscriptionsAreLimitedPerConnectionWithoutTokens(Via via) throws Exception {
    try (PcieFarmServer server = PcieFarmServer.builder().defaultFarm().port(0)
        .unixSocket(dir.resolve("s.sock")).maxEventSubscriptionsPerClient(2).eventLimits(64, 5)
        .start();
        PcieFarmClient one = connect(server, via, null);
        PcieFarmClient two = connect(server, via, null);
        PcieFarmClient three = connect(server, via, null)) {
      assertEquals(2, one.serverInfo().getMaxEventSubscriptionsPerClient());
      EventSubscription a = subscribe(one);
      try (EventSubscription b = subscribe(one)) {
        PcieFarmException third = expectCode(Status.Code.RESOURCE_EXHAUSTED,
            () -> subscribe(one));
        assertTrue(third.getMessage().contains("this connection holds 2 event subscriptions"),
            third.getMessage());
        try (EventSubscription c = subscribe(two); EventSubscription d = subscribe(two)) {
          expectCode(Status.Code.RESOURCE_EXHAUSTED, () -> subscribe(two));
          try (EventSubscription e = subscribe(three)) {
            PcieFarmException all = expectCode(Status.Code.RESOURCE_EXHAUSTED,
                () -> subscribe(three));
            assertTrue(all.getMessage().contains("holds 5 event subscriptions"),
                all.getMessage());
          }
        }
        a.close();
        ResetServiceTest.await("a closed subscription gives its place back",
            () -> server.openEventStreams() == 1);
        subscribe(one).close();
      }
    }
  }

  /** With tokens the tenant is the client, whatever connections and transports it uses. */
  @Test
  void eventSubscriptionsAreLimitedPerTenantWithTokens() throws Exception {
    String alice = "alice-limits-0123456789ab";
    String bob = "bob-limits-0123456789abcd";
    try (PcieFarmServer server = PcieFarmServer.builder().defaultFarm().port(0)
        .unixSocket(dir.resolve("t.sock")).maxEventSubscriptionsPerClient(2)
        .tokens(TokenTable.of(Map.of(alice, new Caller("alice", false),
            bob, new Caller("bob", false)))).start();
        PcieFarmClient aliceTcp = connect(server, Via.TCP, alice);
        PcieFarmClient aliceUnix = connect(server, Via.UNIX, alice);
        PcieFarmClient bobUnix = connect(server, Via.UNIX, bob)) {
      try (EventSubscription a = subscribe(aliceTcp); EventSubscription b = subscribe(aliceUnix)) {
        for (PcieFarmClient c : List.of(aliceTcp, aliceUnix)) {
          PcieFarmException e = expectCode(Status.Code.RESOURCE_EXHAUSTED, () -> subscribe(c));
          assertTrue(e.getMessage().contains("tenant 'alice' holds 2 event subscriptions"),
              e.getMessage());
        }
        subscribe(bobUnix).close();
      }
    }
  }

  private static PcieFarmException expectCode(Status.Code code,
      org.junit.jupiter.api.function.Executable call) {
    return LiveServer.expect(code, call);
  }
}
