package io.pciefarm.grpc;

import io.grpc.Server;
import io.grpc.ServerInterceptor;
import io.grpc.ServerTransportFilter;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.pciefarm.farm.Farm;
import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.proto.v1.ConfigServiceGrpc;
import io.pciefarm.proto.v1.EventServiceGrpc;
import io.pciefarm.proto.v1.FarmServiceGrpc;
import io.pciefarm.proto.v1.HotPlugServiceGrpc;
import io.pciefarm.proto.v1.HierarchySpec;
import io.pciefarm.proto.v1.ResetServiceGrpc;
import io.pciefarm.ownership.Leases;
import io.pciefarm.proto.v1.LeaseServiceGrpc;
import io.pciefarm.proto.v1.ServerInfo;
import io.pciefarm.topology.Hierarchy;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * The pciefarm gRPC server: the farm, config, reset, hot-plug, event and lease services on
 * Netty, with health and reflection, on a TCP port, a Unix domain socket, or both.
 *
 * <pre>{@code
 * try (PcieFarmServer server = PcieFarmServer.builder().defaultFarm().port(0).start()) {
 *   int port = server.port();
 *   ...
 * }
 * }</pre>
 *
 * <h2>Threading</h2>
 * Calls are dispatched on the Netty event loops (direct executor). Config access is lock-free
 * and finishes there; farm operations move to a small bounded worker pool. Each listener is one
 * grpc {@link Server} (TCP and Unix sockets need different Netty channel types); they share the
 * event loops, the services and the health status.
 *
 * <h2>Identity</h2>
 * With a {@link Builder#tokens token table} every call but health and reflection must carry
 * {@code authorization: Bearer TOKEN}; the token names the {@link Caller} (tenant, admin).
 * Without one the farm is single-tenant, every caller is {@link Caller#LOCAL}, and the server
 * refuses to listen on a non-loopback TCP address.
 *
 * <h2>Limits</h2>
 * Inbound message size (RESOURCE_EXHAUSTED from gRPC), accesses per batch (RESOURCE_EXHAUSTED
 * naming the limit), concurrent streams per connection (HTTP/2 MAX_CONCURRENT_STREAMS: a client
 * waits for a free stream), event subscriptions per client (a tenant, or with no tokens a
 * connection) and in all (RESOURCE_EXHAUSTED naming the limit; an event stream lasts, so it
 * cannot wait for a place as a call waits for a stream), and the farm worker queue
 * (RESOURCE_EXHAUSTED when full).
 *
 * <h2>Shutdown</h2>
 * {@link #shutdown(Duration)} reports NOT_SERVING, stops accepting calls, ends event streams
 * (which never end by themselves) with UNAVAILABLE, lets running calls finish for half the grace
 * period, then ends open batch streams with UNAVAILABLE after the batch each is executing (every
 * batch taken is answered), and cancels whatever is left when the grace period is over.
 */
public final class PcieFarmServer implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(PcieFarmServer.class.getName());

  /** What GetServerInfo reports. */
  public static final String VERSION = "pciefarm 0.1.0";

  /**
   * Calls waiting for a farm worker before the server sheds load: deep enough for 10,000 clients
   * that start at once (each task is a few hundred bytes while queued), so only real overload
   * gets RESOURCE_EXHAUSTED.
   */
  public static final int DEFAULT_WORKER_QUEUE = 16_384;
  /** Accesses per batch unless configured otherwise. */
  public static final int DEFAULT_MAX_BATCH_ACCESSES = 4096;
  /** Inbound message size unless configured otherwise: 4 MiB, gRPC's own default. */
  public static final int DEFAULT_MAX_INBOUND_MESSAGE_BYTES = 4 << 20;
  /** Concurrent streams (calls) per connection unless configured otherwise. */
  public static final int DEFAULT_MAX_STREAMS_PER_CONNECTION = 64;
  /**
   * Concurrent event subscriptions of one client (a tenant; a connection without tokens) unless
   * configured otherwise.
   */
  public static final int DEFAULT_MAX_SUBSCRIPTIONS_PER_CLIENT =
      EventServiceImpl.DEFAULT_MAX_SUBSCRIPTIONS_PER_CLIENT;

  private final Builder config;
  private final Farm farm;
  private final Transport transport;
  private final HealthStatusManager health = new HealthStatusManager();
  private final ExecutorService workers;
  private final boolean ownWorkers;
  private final ConfigServiceImpl configService;
  private final FarmServiceImpl farmService;
  private final ResetServiceImpl resetService;
  private final HotPlugServiceImpl hotPlugService;
  private final EventServiceImpl eventService;
  private final IdempotentCalls idempotent = new IdempotentCalls();
  private final LeaseServiceImpl leaseService;
  private final List<Server> servers = new ArrayList<>();
  private EventLoopGroup boss;
  private EventLoopGroup eventLoops;
  private Server tcp;
  private Path unixSocket;
  private volatile boolean stopped;

  private PcieFarmServer(Builder b) {
    this.config = b;
    this.farm = b.farm;
    this.transport = b.transport == null ? Transport.best() : b.transport;
    this.ownWorkers = b.farmExecutor == null;
    this.workers = ownWorkers ? newWorkerPool(b.workerThreads, b.workerQueue) : b.farmExecutor;
    this.resetService = new ResetServiceImpl(farm, workers, idempotent);
    this.hotPlugService = new HotPlugServiceImpl(farm, workers, idempotent);
    this.eventService = new EventServiceImpl(farm, b.maxEventBuffer, b.maxEventSubscriptions,
        b.maxEventSubscriptionsPerClient, 2);
    this.configService = new ConfigServiceImpl(farm, b.maxBatchAccesses, idempotent);
    this.leaseService = new LeaseServiceImpl(farm, workers, idempotent);
    this.farmService = new FarmServiceImpl(farm, workers, b.specs, ServerInfo.newBuilder()
        .setVersion(VERSION)
        .addServices(FarmServiceGrpc.SERVICE_NAME)
        .addServices(ConfigServiceGrpc.SERVICE_NAME)
        .addServices(ResetServiceGrpc.SERVICE_NAME)
        .addServices(HotPlugServiceGrpc.SERVICE_NAME)
        .addServices(EventServiceGrpc.SERVICE_NAME)
        .addServices(LeaseServiceGrpc.SERVICE_NAME)
        .setMaxBatchAccesses(b.maxBatchAccesses)
        .setMaxMessageBytes(b.maxInboundMessageBytes)
        .setMaxStreamsPerConnection(b.maxStreamsPerConnection)
        .setMaxEventSubscriptionsPerClient(b.maxEventSubscriptionsPerClient)
        .setTransport(transport.name().toLowerCase(java.util.Locale.ROOT))
        .setAuthentication(b.tokens != null)
        .setDefaultLeaseTtl(LeaseServiceImpl.proto(Leases.DEFAULT_TTL))
        .setMaxLeaseTtl(LeaseServiceImpl.proto(Leases.MAX_TTL))
        .build());
  }

  /** Fixed threads, a bounded queue, and rejection (RESOURCE_EXHAUSTED) when it is full. */
  private static ExecutorService newWorkerPool(int threads, int queue) {
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
        new ArrayBlockingQueue<>(queue), r -> {
          Thread t = new Thread(r, "pciefarm-farm-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Binds the listeners and starts serving. */
  private PcieFarmServer start() throws IOException {
    if (config.port == null && config.unixSocket == null) {
      throw new IllegalStateException("no listener: give a TCP port, a Unix socket path, or both");
    }
    if (config.unixSocket != null) {
      transport.requireUnixSockets("the Unix domain socket listener " + config.unixSocket);
    }
    if (config.tokens == null && config.port != null && !isLoopback(config.bindHost)) {
      throw new IllegalStateException("refusing to listen on " + config.bindHost
          + " without authentication: with no token table the farm is single-tenant and open"
          + " to anyone who reaches it, so it serves loopback addresses (127.0.0.1, ::1) and"
          + " Unix sockets only; bind a loopback address, or give a token table"
          + " (pciefarm serve --tokens FILE)");
    }
    boss = transport.newEventLoopGroup(1, "pciefarm-accept");
    eventLoops = transport.newEventLoopGroup(config.eventLoopThreads, "pciefarm-io");
    try {
      if (config.port != null) {
        tcp = build(NettyServerBuilder.forAddress(
            new InetSocketAddress(config.bindHost, config.port))
            .channelType(transport.tcpServerChannel())).start();
        servers.add(tcp);
      }
      if (config.unixSocket != null) {
        Path path = config.unixSocket.toAbsolutePath();
        clearStaleSocket(path);
        servers.add(build(NettyServerBuilder.forAddress(new DomainSocketAddress(path.toString()))
            .channelType(transport.unixServerChannel())).start());
        unixSocket = path;
      }
    } catch (IOException | RuntimeException e) {
      shutdownNow();
      throw e;
    }
    health.setStatus("", ServingStatus.SERVING);
    health.setStatus(FarmServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
    health.setStatus(ConfigServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
    health.setStatus(ResetServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
    health.setStatus(HotPlugServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
    health.setStatus(EventServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
    health.setStatus(LeaseServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
    return this;
  }

  /** A literal loopback address, or a name that resolves to loopback addresses only. */
  static boolean isLoopback(String host) {
    try {
      InetAddress[] all = InetAddress.getAllByName(host);
      return all.length > 0 && java.util.Arrays.stream(all).allMatch(InetAddress::isLoopbackAddress);
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /**
   * Reflection in both versions: grpc.reflection.v1, and the older v1alpha that grpcurl before
   * 1.8.8 and other older tools still ask for.
   */
  @SuppressWarnings("deprecation")
  private static io.grpc.BindableService reflectionV1Alpha() {
    return io.grpc.protobuf.services.ProtoReflectionService.newInstance();
  }

  private Server build(NettyServerBuilder b) {
    b.bossEventLoopGroup(boss)
        .workerEventLoopGroup(eventLoops)
        .directExecutor()
        .maxInboundMessageSize(config.maxInboundMessageBytes)
        .maxConcurrentCallsPerConnection(config.maxStreamsPerConnection)
        .addTransportFilter(CONNECTION_IDENTITY)
        .addService(MalformedRequests.guard(farmService.bindService()))
        .addService(MalformedRequests.guard(configService.bindService()))
        .addService(MalformedRequests.guard(resetService.bindService()))
        .addService(MalformedRequests.guard(hotPlugService.bindService()))
        .addService(MalformedRequests.guard(eventService.bindService()))
        .addService(MalformedRequests.guard(leaseService.bindService()))
        .addService(health.getHealthService())
        .addService(ProtoReflectionServiceV1.newInstance())
        .addService(reflectionV1Alpha());
    for (ServerInterceptor i : config.interceptors) {
      b.intercept(i);
    }
    if (config.tokens != null) {
      b.intercept(new AuthInterceptor(config.tokens)); // added last: runs first
    }
    return b.build();
  }

  /** Marks each connection with an identity of its own (the per-client event limit). */
  private static final ServerTransportFilter CONNECTION_IDENTITY = new ServerTransportFilter() {
    @Override
    public io.grpc.Attributes transportReady(io.grpc.Attributes attributes) {
      return attributes.toBuilder().set(EventServiceImpl.CONNECTION, new Object()).build();
    }
  };

  /**
   * A socket file left by a server that is gone is removed; one a live server answers on is
   * an error, as is any other file there.
   */
  private static void clearStaleSocket(Path path) throws IOException {
    if (!Files.exists(path, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    if (!"socket".equals(fileType(path))) {
      throw new IOException(path + " exists and is not a socket; choose another path");
    }
    try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX)) {
      probe.connect(UnixDomainSocketAddress.of(path));
      throw new IOException("a server is already listening on " + path);
    } catch (java.net.ConnectException stale) {
      Files.deleteIfExists(path);
    }
  }

  private static String fileType(Path path) {
    try {
      Object t = Files.getAttribute(path, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS);
      return ((Integer) t & 0170000) == 0140000 ? "socket" : "other";
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return "unknown";
    }
  }

  /** The bound TCP port (the real one when 0 was asked for), or -1 without a TCP listener. */
  public int port() {
    return tcp == null ? -1 : tcp.getPort();
  }

  /** {@code host:port} of the TCP listener, or null without one. */
  public String tcpTarget() {
    return tcp == null ? null : hostForTarget(config.bindHost) + ":" + port();
  }

  private static String hostForTarget(String host) {
    if (host.equals("0.0.0.0") || host.equals("::")) {
      return "127.0.0.1";
    }
    return host.contains(":") ? "[" + host + "]" : host;
  }

  /** The Unix socket path, or null without a Unix listener. */
  public Path unixSocket() {
    return unixSocket;
  }

  public Farm farm() {
    return farm;
  }

  public Transport transport() {
    return transport;
  }

  /**
   * The server's request-id memory, shared by every service with non-idempotent calls (Config
   * Write, Lease Acquire; Reset and hot-plug actions wrap their handlers with it the same way).
   */
  public IdempotentCalls idempotentCalls() {
    return idempotent;
  }

  /** True when the server authenticates callers (a token table was given). */
  public boolean authenticates() {
    return config.tokens != null;
  }

  /** Batch streams open now (for tests and monitoring). */
  public int openBatchStreams() {
    return configService.openStreams();
  }

  /** Event streams (Subscribe calls) with a live subscription now (for tests and monitoring). */
  public int openEventStreams() {
    return eventService.openStreams();
  }

  /**
   * Event streams opened since the server started (for tests and monitoring): never falls, so it
   * tells a new subscription apart from one that replaced a stream closing meanwhile.
   */
  public long eventStreamsOpened() {
    return eventService.streamsOpened();
  }

  /** Blocks until every listener has terminated. */
  public void awaitTermination() throws InterruptedException {
    for (Server s : servers) {
      s.awaitTermination();
    }
  }

  public boolean isTerminated() {
    return servers.stream().allMatch(Server::isTerminated);
  }

  /**
   * Graceful shutdown, within {@code grace}: NOT_SERVING, no new calls, running calls get half
   * the grace to finish, then open batch streams end with UNAVAILABLE after their current batch,
   * and at the end whatever remains is cancelled.
   *
   * @return true when every call finished before the grace ran out
   */
  public synchronized boolean shutdown(Duration grace) throws InterruptedException {
    if (stopped) {
      return isTerminated();
    }
    stopped = true;
    long deadline = System.nanoTime() + grace.toNanos();
    health.enterTerminalState();
    for (Server s : servers) {
      s.shutdown();
    }
    eventService.closeStreamsForShutdown(); // event streams never end by themselves
    boolean clean = awaitUntil(System.nanoTime() + grace.toNanos() / 2);
    if (!clean) {
      configService.closeStreamsForShutdown();
      clean = awaitUntil(deadline);
    }
    if (!clean) {
      LOG.warning("calls still running after the shutdown grace of " + grace + "; cancelling");
    }
    shutdownNow();
    return clean;
  }

  private boolean awaitUntil(long deadlineNanos) throws InterruptedException {
    for (Server s : servers) {
      long left = deadlineNanos - System.nanoTime();
      if (left <= 0 || !s.awaitTermination(left, TimeUnit.NANOSECONDS)) {
        return false;
      }
    }
    return true;
  }

  private void shutdownNow() {
    stopped = true;
    for (Server s : servers) {
      s.shutdownNow();
    }
    try {
      for (Server s : servers) {
        s.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (ownWorkers) {
      workers.shutdownNow();
    }
    eventService.stop();
    if (eventLoops != null) {
      eventLoops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
    if (boss != null) {
      boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
    if (unixSocket != null) {
      try {
        Files.deleteIfExists(unixSocket);
      } catch (IOException e) {
        LOG.warning("could not remove the socket file " + unixSocket + ": " + e.getMessage());
      }
    }
  }

  /** {@link #shutdown(Duration)} with the configured grace period. */
  @Override
  public void close() {
    try {
      shutdown(config.shutdownGrace);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      shutdownNow();
    }
  }

  /** Configures and starts a {@link PcieFarmServer}. */
  public static final class Builder {
    private Farm farm = new Farm();
    private final Map<Hierarchy, HierarchySpec> specs = FarmServiceImpl.newSpecRegistry();
    private String bindHost = "127.0.0.1";
    private Integer port;
    private Path unixSocket;
    private Transport transport;
    private int maxInboundMessageBytes = DEFAULT_MAX_INBOUND_MESSAGE_BYTES;
    private int maxBatchAccesses = DEFAULT_MAX_BATCH_ACCESSES;
    private int maxStreamsPerConnection = DEFAULT_MAX_STREAMS_PER_CONNECTION;
    private int workerThreads = 2;
    private int workerQueue = DEFAULT_WORKER_QUEUE;
    private ExecutorService farmExecutor;
    private int eventLoopThreads = Math.max(1, Runtime.getRuntime().availableProcessors());
    private int maxEventBuffer = EventServiceImpl.DEFAULT_MAX_BUFFER;
    private int maxEventSubscriptions = EventServiceImpl.DEFAULT_MAX_SUBSCRIPTIONS;
    private int maxEventSubscriptionsPerClient = DEFAULT_MAX_SUBSCRIPTIONS_PER_CLIENT;
    private Duration shutdownGrace = Duration.ofSeconds(10);
    private final List<ServerInterceptor> interceptors = new ArrayList<>();
    private TokenTable tokens;

    private Builder() {}

    /**
     * Authenticates every call but health and reflection with {@code tokens}: the bearer token
     * names the {@link Caller}. Without a table the farm is single-tenant (every caller is
     * {@link Caller#LOCAL}) and {@link #start()} refuses a non-loopback TCP address.
     */
    public Builder tokens(TokenTable tokens) {
      this.tokens = Objects.requireNonNull(tokens, "tokens");
      return this;
    }

    /**
     * Serves {@code farm} (hierarchies already in it are served without their specs). Call it
     * before {@link #hierarchy} and {@link #defaultFarm}, which add to the farm.
     */
    public Builder farm(Farm farm) {
      if (!specs.isEmpty()) {
        throw new IllegalStateException("farm(...) must come before hierarchy(...) and"
            + " defaultFarm(), which add to it");
      }
      this.farm = Objects.requireNonNull(farm, "farm");
      return this;
    }

    /** Builds {@code spec} into the farm now; GetHierarchy returns the spec. */
    public Builder hierarchy(HierarchySpec spec) {
      specs.put(farm.create(spec), spec);
      return this;
    }

    /** Adds every embedded example topology ({@link TopologyFiles#EXAMPLES}). */
    public Builder defaultFarm() {
      for (String name : TopologyFiles.EXAMPLES) {
        hierarchy(TopologyFiles.example(name));
      }
      return this;
    }

    /** The address TCP listens on; default 127.0.0.1. */
    public Builder bind(String host) {
      this.bindHost = Objects.requireNonNull(host, "host");
      return this;
    }

    /** Listens on TCP {@code port}; 0 picks a free one ({@link #port()} tells which). */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port " + port + " is outside 0..65535");
      }
      this.port = port;
      return this;
    }

    /** Listens on a Unix domain socket at {@code path} (needs epoll, i.e. Linux). */
    public Builder unixSocket(Path path) {
      this.unixSocket = Objects.requireNonNull(path, "path");
      return this;
    }

    /** Forces a transport; default {@link Transport#best()}. */
    public Builder transport(Transport transport) {
      this.transport = transport;
      return this;
    }

    public Builder maxInboundMessageBytes(int bytes) {
      this.maxInboundMessageBytes = positive("maxInboundMessageBytes", bytes);
      return this;
    }

    public Builder maxBatchAccesses(int accesses) {
      this.maxBatchAccesses = positive("maxBatchAccesses", accesses);
      return this;
    }

    public Builder maxStreamsPerConnection(int streams) {
      this.maxStreamsPerConnection = positive("maxStreamsPerConnection", streams);
      return this;
    }

    /**
     * Threads and queue length of the farm worker pool (default 2 and
     * {@value PcieFarmServer#DEFAULT_WORKER_QUEUE}). A task is one call's planning step, a few
     * microseconds; a waiting reset holds no task. Beyond the queue, calls fail with
     * RESOURCE_EXHAUSTED.
     */
    public Builder workers(int threads, int queue) {
      this.workerThreads = positive("worker threads", threads);
      this.workerQueue = positive("worker queue", queue);
      return this;
    }

    /**
     * Runs farm operations on {@code executor} instead of the server's own bounded pool; the
     * server does not shut it down. An executor that rejects a task (RejectedExecutionException)
     * makes the call fail with RESOURCE_EXHAUSTED.
     */
    public Builder farmExecutor(ExecutorService executor) {
      this.farmExecutor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    public Builder eventLoopThreads(int threads) {
      this.eventLoopThreads = positive("eventLoopThreads", threads);
      return this;
    }

    /**
     * Event subscriptions: the largest buffer a Subscribe may ask for (default 65536 events) and
     * how many may be open at once (default 4096); beyond either, RESOURCE_EXHAUSTED.
     */
    public Builder eventLimits(int maxBuffer, int maxSubscriptions) {
      this.maxEventBuffer = positive("maxEventBuffer", maxBuffer);
      this.maxEventSubscriptions = positive("maxEventSubscriptions", maxSubscriptions);
      return this;
    }

    /**
     * How many event subscriptions one client may hold at once (default
     * {@value PcieFarmServer#DEFAULT_MAX_SUBSCRIPTIONS_PER_CLIENT}): a tenant, whatever
     * connections it uses, when the server has tokens; a connection without. Beyond it,
     * RESOURCE_EXHAUSTED naming the limit.
     */
    public Builder maxEventSubscriptionsPerClient(int subscriptions) {
      this.maxEventSubscriptionsPerClient = positive("maxEventSubscriptionsPerClient",
          subscriptions);
      return this;
    }

    /** How long {@link #close()} lets calls finish; default 10 s. */
    public Builder shutdownGrace(Duration grace) {
      this.shutdownGrace = Objects.requireNonNull(grace, "grace");
      return this;
    }

    /** Adds an interceptor to every service (the last added runs first). */
    public Builder intercept(ServerInterceptor interceptor) {
      interceptors.add(Objects.requireNonNull(interceptor, "interceptor"));
      return this;
    }

    /** Builds the server and binds its listeners. */
    public PcieFarmServer start() throws IOException {
      return new PcieFarmServer(this).start();
    }

    private static int positive(String what, int value) {
      if (value <= 0) {
        throw new IllegalArgumentException(what + " must be positive, not " + value);
      }
      return value;
    }
  }
}
