package io.pciefarm.client;

import static io.pciefarm.client.LiveServer.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.pciefarm.grpc.PcieFarmServer;
import io.pciefarm.proto.v1.EventFilter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The server's limits on event streams, and how shutdown ends them. */
class EventStreamLimitsTest {
  @Test
  void subscriptionsAndBuffersAreBounded() throws Exception {
    try (PcieFarmServer server = PcieFarmServer.builder().defaultFarm().port(0)
        .eventLimits(64, 2).start();
        PcieFarmClient c = PcieFarmClient.connect(server.tcpTarget())) {
      PcieFarmException big = expect(Status.Code.RESOURCE_EXHAUSTED, () -> c.subscribe(
          EventFilter.getDefaultInstance(), 0, 65, e -> { }));
      assertTrue(big.getMessage().contains("64"), big.getMessage());
      try (EventSubscription a = c.subscribe(EventFilter.getDefaultInstance(), 0, 64, e -> { });
          EventSubscription b = c.subscribe(EventFilter.getDefaultInstance(), 0, e -> { })) {
        PcieFarmException many = expect(Status.Code.RESOURCE_EXHAUSTED, () -> c.subscribe(
            EventFilter.getDefaultInstance(), 0, e -> { }));
        assertTrue(many.getMessage().contains("2"), many.getMessage());
        assertEquals(2, server.openEventStreams());
      }
      ResetServiceTest.await("closed streams free their places",
          () -> server.openEventStreams() == 0);
      c.subscribe(EventFilter.getDefaultInstance(), 0, e -> { }).close();
    }
  }

  /** Event streams never end by themselves: shutdown ends them with UNAVAILABLE, at once. */
  @Test
  void shutdownEndsStreamsWithUnavailable() throws Exception {
    Path dir = Files.createTempDirectory("pciefarm-events");
    PcieFarmServer server = PcieFarmServer.builder().defaultFarm().port(0)
        .unixSocket(dir.resolve("farm.sock")).shutdownGrace(Duration.ofSeconds(30)).start();
    try (PcieFarmClient tcp = PcieFarmClient.connect(server.tcpTarget());
        PcieFarmClient unix = PcieFarmClient.connectUnix(server.unixSocket())) {
      EventSubscription a = tcp.subscribe(EventFilter.getDefaultInstance(), 0, e -> { });
      EventSubscription b = unix.subscribe(EventFilter.newBuilder()
          .setHierarchy("hotplug-rack").build(), 1, e -> { });
      assertTrue(server.shutdown(Duration.ofSeconds(30)), "every call ended within the grace");
      for (EventSubscription s : new EventSubscription[] {a, b}) {
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(
            ExecutionException.class, () -> s.done().get(10, TimeUnit.SECONDS));
        assertEquals(Status.Code.UNAVAILABLE, ((PcieFarmException) e.getCause()).code());
      }
      assertEquals(0, server.farm().events().subscriptionCount());
    } finally {
      server.close();
      Files.deleteIfExists(dir.resolve("farm.sock"));
      Files.deleteIfExists(dir);
    }
  }
}
