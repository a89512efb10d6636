package io.pciefarm.bench.load;

import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.netty.channel.EventLoopGroup;
import io.pciefarm.farm.Farm;
import io.pciefarm.grpc.PcieFarmServer;
import io.pciefarm.grpc.Transport;
import io.pciefarm.proto.v1.FarmServiceGrpc;
import io.pciefarm.proto.v1.GetServerInfoRequest;
import io.pciefarm.proto.v1.HierarchySpec;
import io.pciefarm.proto.v1.ServerInfo;
import io.pciefarm.time.SystemFarmClock;
import io.pciefarm.time.TimeBase;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the load generator drives: the connections, and, for an embedded server, the server and
 * its farm (for the engine-side consistency check).
 */
public final class Target implements AutoCloseable {
  private final PcieFarmServer server;
  private final Farm farm;
  private final SystemFarmClock clock;
  private final EventLoopGroup clientLoops;
  private final List<ManagedChannel> channels;
  private final List<ManagedChannel> mutationChannels;
  private final ServerInfo info;
  private final String address;
  private final List<ManagedChannel> extraOwned = new ArrayList<>();

  private Target(PcieFarmServer server, Farm farm, SystemFarmClock clock,
      EventLoopGroup clientLoops, List<ManagedChannel> channels,
      List<ManagedChannel> mutationChannels, String address) {
    this.server = server;
    this.farm = farm;
    this.clock = clock;
    this.clientLoops = clientLoops;
    this.channels = channels;
    this.mutationChannels = mutationChannels;
    this.address = address;
    this.info = FarmServiceGrpc.newBlockingStub(channels.get(0))
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .getServerInfo(GetServerInfoRequest.getDefaultInstance());
  }

  /**
   * Starts a server on loopback with the generated farm, on its own farm clock (so its pending
   * tasks are this farm's alone), and connects to it.
   */
  public static Target embedded(Options o) throws IOException {
    SystemFarmClock clock = new SystemFarmClock();
    Farm farm = new Farm(new TimeBase(clock, 1.0));
    PcieFarmServer.Builder b = PcieFarmServer.builder().farm(farm).port(0)
        .eventLoopThreads(o.serverEventLoops)
        .maxStreamsPerConnection(o.serverMaxStreams)
        .workers(o.serverWorkerThreads, o.serverWorkerQueue)
        .shutdownGrace(Duration.ofSeconds(5));
    for (HierarchySpec spec : FarmSpecs.farm(o.hierarchies, o.timeScale)) {
      b.hierarchy(spec);
    }
    PcieFarmServer server = b.start();
    String address = "127.0.0.1:" + server.port();
    return connect(server, farm, clock, address, o, null);
  }

  /** Connects to a running server (loopback only). */
  public static Target external(Options o) {
    return connect(null, null, null, o.server, o, null);
  }

  /**
   * For tests: config and farm calls go to {@code address}; reset, hot-plug and lease calls go
   * to {@code mutationAddress} (a stand-in server), engine checks use {@code farm}.
   */
  static Target split(String address, String mutationAddress, Farm farm, Options o) {
    return connect(null, farm, null, address, o, mutationAddress);
  }

  private static Target connect(PcieFarmServer server, Farm farm, SystemFarmClock clock,
      String address, Options o, String mutationAddress) {
    Transport t = Transport.best();
    EventLoopGroup loops = t.newEventLoopGroup(o.clientEventLoops, "load-client");
    int n = o.connections > 0 ? o.connections : 1;
    List<ManagedChannel> channels = open(t, loops, address, n);
    List<ManagedChannel> mutation = mutationAddress == null ? channels
        : open(t, loops, mutationAddress, n);
    Target target = new Target(server, farm, clock, loops, channels, mutation, address);
    if (o.connections == 0) {
      // enough connections for the calls in flight at the server's per-connection limit
      int perConnection = Math.max(1, target.info.getMaxStreamsPerConnection());
      int want = Math.max(1, (int) Math.ceil(target.inFlightWanted(o) / (double) perConnection));
      if (want > 1) {
        target.channels.addAll(open(t, loops, address, want - 1));
        if (mutationAddress != null) {
          target.mutationChannels.addAll(open(t, loops, mutationAddress, want - 1));
        }
      }
    }
    return target;
  }

  private int inFlightWanted(Options o) {
    return switch (o.scenario) {
      case CONFIG_BATCH -> o.streams;
      case MIXED -> o.concurrency + o.streams + o.concurrency;
      default -> o.concurrency;
    };
  }

  private static List<ManagedChannel> open(Transport t, EventLoopGroup loops, String address,
      int n) {
    List<ManagedChannel> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(NettyChannelBuilder.forAddress(LoopbackOnly.host(address), LoopbackOnly.port(address))
          .eventLoopGroup(loops)
          .channelType(t.tcpChannel())
          .usePlaintext()
          .directExecutor()
          .maxInboundMessageSize(64 << 20)
          .build());
    }
    return out;
  }

  /** Connection {@code i} (mod the number of connections). */
  public ManagedChannel channel(int i) {
    return channels.get(Math.floorMod(i, channels.size()));
  }

  /** Connection {@code i} for ResetService, HotPlugService and LeaseService calls. */
  public ManagedChannel mutationChannel(int i) {
    return mutationChannels.get(Math.floorMod(i, mutationChannels.size()));
  }

  public int connections() {
    return channels.size();
  }

  public ServerInfo info() {
    return info;
  }

  public boolean implementsService(String fullName) {
    return mutationChannels != channels || info.getServicesList().contains(fullName);
  }

  /** The embedded server's farm (engine checks), or null for an external server. */
  public Farm farm() {
    return farm;
  }

  /** The embedded farm's clock, or null. */
  public SystemFarmClock clock() {
    return clock;
  }

  public boolean embedded() {
    return server != null;
  }

  public String address() {
    return address;
  }

  @Override
  public void close() {
    List<ManagedChannel> all = new ArrayList<>(channels);
    if (mutationChannels != channels) {
      all.addAll(mutationChannels);
    }
    all.addAll(extraOwned);
    all.forEach(ManagedChannel::shutdownNow);
    for (ManagedChannel c : all) {
      try {
        c.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    clientLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    if (server != null) {
      server.close();
    }
    if (clock != null) {
      clock.close();
    }
  }
}
