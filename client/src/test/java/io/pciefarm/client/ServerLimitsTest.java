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

/** Limits other than the defaults: batch size, streams per connection, the farm queue. */
class ServerLimitsTest {
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

  private static PcieFarmException expectCode(Status.Code code,
      org.junit.jupiter.api.function.Executable call) {
    return LiveServer.expect(code, call);
  }
}
