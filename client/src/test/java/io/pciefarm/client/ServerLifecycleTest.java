package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import io.pciefarm.grpc.PcieFarmServer;
import io.pciefarm.grpc.Transport;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Listeners, health, reflection and graceful shutdown of a real server. */
class ServerLifecycleTest {
  private static final Address NVME = Address.parse("0001:03:00.0");

  @TempDir
  Path dir;

  private PcieFarmServer start(Path socket) throws IOException {
    return PcieFarmServer.builder().defaultFarm().port(0).unixSocket(socket)
        .shutdownGrace(Duration.ofSeconds(4)).start();
  }

  @Test
  void healthAndReflectionDescribeTheServices() throws Exception {
    try (PcieFarmServer server = start(dir.resolve("s"));
        PcieFarmClient c = PcieFarmClient.connect(server.tcpTarget())) {
      assertEquals(ServingStatus.SERVING, c.health(""));
      assertEquals(ServingStatus.SERVING, c.health("pciefarm.v1.FarmService"));
      assertEquals(ServingStatus.SERVING, c.health("pciefarm.v1.ConfigService"));
      assertEquals(ServingStatus.SERVING, c.health("pciefarm.v1.ResetService"));
      assertEquals(ServingStatus.SERVING, c.health("pciefarm.v1.HotPlugService"));
      assertEquals(ServingStatus.SERVING, c.health("pciefarm.v1.EventService"));
      assertEquals(ServingStatus.SERVING, c.health("pciefarm.v1.LeaseService"));
      expect(Status.Code.NOT_FOUND, () -> c.health("pciefarm.v1.NoSuchService"));

      List<String> services = reflectedServices(c);
      assertTrue(services.containsAll(List.of("pciefarm.v1.FarmService",
          "pciefarm.v1.ConfigService", "pciefarm.v1.ResetService", "pciefarm.v1.HotPlugService",
          "pciefarm.v1.EventService", "pciefarm.v1.LeaseService", "grpc.health.v1.Health",
          "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection")),
          services.toString());
      // grpcurl describes a service from the file descriptors reflection returns: they must
      // survive the re-binding of our services (MalformedRequests).
      for (String symbol : List.of("pciefarm.v1.ConfigService", "pciefarm.v1.FarmService",
          "pciefarm.v1.AccessBatch", "pciefarm.v1.ResetService", "pciefarm.v1.HotPlugService",
          "pciefarm.v1.EventService", "pciefarm.v1.LeaseService",
          "pciefarm.v1.LeaseService.Acquire", "pciefarm.v1.ReleaseResponse")) {
        List<String> files = reflectedFiles(c, symbol);
        assertTrue(files.stream().anyMatch(f -> f.endsWith(".proto")), symbol + ": " + files);
      }
      assertTrue(reflectedFiles(c, "pciefarm.v1.LeaseService").stream()
          .anyMatch(f -> f.endsWith("lease.proto")), "LeaseService is described by lease.proto");
      // Every service of the contract is implemented and offered.
      for (String name : List.of("Farm", "Config", "Reset", "HotPlug", "Event", "Lease")) {
        assertTrue(services.contains("pciefarm.v1." + name + "Service"), services.toString());
      }
    }
  }

  private static PcieFarmException expect(Status.Code code,
      org.junit.jupiter.api.function.Executable call) {
    return LiveServer.expect(code, call);
  }

  private static List<String> reflectedFiles(PcieFarmClient c, String symbol)
      throws InterruptedException {
    List<String> names = new ArrayList<>();
    CountDownLatch done = new CountDownLatch(1);
    StreamObserver<ServerReflectionRequest> out = ServerReflectionGrpc.newStub(c.channel())
        .serverReflectionInfo(new StreamObserver<>() {
          @Override
          public void onNext(ServerReflectionResponse r) {
            for (com.google.protobuf.ByteString bytes
                : r.getFileDescriptorResponse().getFileDescriptorProtoList()) {
              try {
                names.add(com.google.protobuf.DescriptorProtos.FileDescriptorProto
                    .parseFrom(bytes).getName());
              } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                names.add("unreadable: " + e.getMessage());
              }
            }
          }

          @Override
          public void onError(Throwable t) {
            done.countDown();
          }

          @Override
          public void onCompleted() {
            done.countDown();
          }
        });
    out.onNext(ServerReflectionRequest.newBuilder().setFileContainingSymbol(symbol).build());
    out.onCompleted();
    assertTrue(done.await(30, TimeUnit.SECONDS));
    return names;
  }

  static List<String> reflectedServices(PcieFarmClient c) throws InterruptedException {
    List<String> names = new ArrayList<>();
    CountDownLatch done = new CountDownLatch(1);
    StreamObserver<ServerReflectionRequest> out = ServerReflectionGrpc.newStub(c.channel())
        .serverReflectionInfo(new StreamObserver<>() {
          @Override
          public void onNext(ServerReflectionResponse r) {
            for (ServiceResponse s : r.getListServicesResponse().getServiceList()) {
              names.add(s.getName());
            }
          }

          @Override
          public void onError(Throwable t) {
            done.countDown();
          }

          @Override
          public void onCompleted() {
            done.countDown();
          }
        });
    out.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
    out.onCompleted();
    assertTrue(done.await(30, TimeUnit.SECONDS));
    return names;
  }

  @Test
  void shutdownAnswersEveryBatchTakenThenEndsOpenStreams() throws Exception {
    Path socket = dir.resolve("farm.sock");
    PcieFarmServer server = start(socket);
    try (PcieFarmClient c = PcieFarmClient.connectUnix(socket)) {
      ConfigStream stream = c.openStream(64);
      Batch b = new Batch();
      for (int i = 0; i < 1024; i++) {
        b.read(NVME, i * 4, 4);
      }
      // One answered batch first: the stream exists on the server before it shuts down (a
      // stream the server has not seen yet is refused by the shutdown, as it should be).
      assertTrue(stream.execute(b).ok());
      List<CompletableFuture<BatchResult>> inFlight = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        inFlight.add(stream.submit(b));
      }
      CompletableFuture<Boolean> shutdown = CompletableFuture.supplyAsync(() -> {
        try {
          return server.shutdown(Duration.ofSeconds(10));
        } catch (InterruptedException e) {
          throw new IllegalStateException(e);
        }
      });
      // Every batch sent before the shutdown is answered in full.
      for (CompletableFuture<BatchResult> f : inFlight) {
        assertTrue(f.join().ok());
      }
      // The stream stays open (the client never half-closes): the server ends it, once the
      // first half of the grace is over, with UNAVAILABLE saying why.
      PcieFarmException ended = null;
      for (int i = 0; i < 200 && ended == null; i++) {
        try {
          stream.execute(new Batch());
          Thread.sleep(50);
        } catch (PcieFarmException e) {
          ended = e;
        }
      }
      assertTrue(ended != null, "the server did not end the open stream");
      assertEquals(Status.Code.UNAVAILABLE, ended.code());
      assertTrue(ended.getMessage().contains("shutting down"), ended.getMessage());
      assertTrue(shutdown.get(30, TimeUnit.SECONDS), "every call finished within the grace");
      assertTrue(server.isTerminated());
      assertFalse(Files.exists(socket), "the socket file is removed");
      expect(Status.Code.UNAVAILABLE, () -> c.function(NVME).readDword(0));
    } finally {
      server.close();
    }
  }

  @Test
  void aStreamTheClientFinishesDuringShutdownEndsCleanly() throws Exception {
    PcieFarmServer server = start(dir.resolve("s2"));
    try (PcieFarmClient c = PcieFarmClient.connect(server.tcpTarget())) {
      ConfigStream stream = c.openStream();
      Batch b = new Batch();
      b.read(NVME, 0, 4);
      int ids = stream.execute(b).value(0);
      AtomicBoolean clean = new AtomicBoolean();
      Thread t = new Thread(() -> {
        try {
          clean.set(server.shutdown(Duration.ofSeconds(20)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      t.start();
      // Once shutdown has begun, health says NOT_SERVING or new calls are refused ...
      boolean begun = false;
      for (int i = 0; i < 400 && !begun; i++) {
        try {
          begun = c.health("") != ServingStatus.SERVING;
        } catch (PcieFarmException e) {
          assertEquals(Status.Code.UNAVAILABLE, e.code(), e.getMessage());
          begun = true;
        }
        Thread.sleep(25);
      }
      assertTrue(begun, "shutdown did not begin");
      // ... but the open stream still works, and ends cleanly when the client finishes it.
      assertEquals(ids, stream.execute(b).value(0));
      stream.close();
      t.join(30_000);
      assertTrue(clean.get(), "shutdown was clean: nothing had to be cancelled");
    } finally {
      server.close();
    }
  }

  @Test
  void aStaleSocketFileIsReplacedAndALiveOneIsNot() throws Exception {
    Path socket = dir.resolve("stale.sock");
    try (ServerSocketChannel old = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
      old.bind(UnixDomainSocketAddress.of(socket));
    } // closed, but the file stays behind, as after a crash
    assertTrue(Files.exists(socket));
    try (PcieFarmServer server = start(socket);
        PcieFarmClient c = PcieFarmClient.connectUnix(socket)) {
      assertEquals(socket.toAbsolutePath(), server.unixSocket());
      assertEquals(ServingStatus.SERVING, c.health(""));
      IOException live = assertThrows(IOException.class, () -> start(socket));
      assertTrue(live.getMessage().contains("already listening"), live.getMessage());
    }
    Path file = dir.resolve("plain-file");
    Files.writeString(file, "not a socket");
    IOException notSocket = assertThrows(IOException.class, () -> start(file));
    assertTrue(notSocket.getMessage().contains("not a socket"), notSocket.getMessage());
    assertEquals("not a socket", Files.readString(file), "the file is left alone");
  }

  @Test
  void unixSocketsWithoutEpollAreAClearError() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> PcieFarmServer.builder().transport(Transport.NIO).unixSocket(dir.resolve("x"))
            .start());
    assertTrue(e.getMessage().contains("epoll"), e.getMessage());
  }

  @Test
  void nioServesTcp() throws Exception {
    try (PcieFarmServer server = PcieFarmServer.builder().defaultFarm().transport(Transport.NIO)
        .port(0).start(); PcieFarmClient c = PcieFarmClient.connect(server.tcpTarget())) {
      assertEquals(Transport.NIO, server.transport());
      assertEquals(0x144d, c.function(NVME).readWord(0));
    }
  }

  @Test
  void aPortInUseIsAnError() throws Exception {
    try (PcieFarmServer first = PcieFarmServer.builder().port(0).start()) {
      IOException e = assertThrows(IOException.class,
          () -> PcieFarmServer.builder().port(first.port()).start());
      assertTrue(e.getMessage().contains(String.valueOf(first.port())), e.getMessage());
    }
  }

  @Test
  void clientsRejectMalformedTargets() {
    for (String bad : List.of("", "localhost", "localhost:", "localhost:http", "host:70000",
        ":50051")) {
      assertThrows(IllegalArgumentException.class, () -> PcieFarmClient.connect(bad), bad);
    }
  }
}
