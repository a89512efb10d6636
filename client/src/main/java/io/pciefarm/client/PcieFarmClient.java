package io.pciefarm.client;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.pciefarm.grpc.Transport;
import io.pciefarm.proto.v1.AcquireRequest;
import io.pciefarm.proto.v1.ConfigServiceGrpc;
import io.pciefarm.proto.v1.CreateHierarchyRequest;
import io.pciefarm.proto.v1.DeleteHierarchyRequest;
import io.pciefarm.proto.v1.EventFilter;
import io.pciefarm.proto.v1.EventStreamItem;
import io.pciefarm.proto.v1.FarmServiceGrpc;
import io.pciefarm.proto.v1.GetHierarchyRequest;
import io.pciefarm.proto.v1.GetResetMethodsRequest;
import io.pciefarm.proto.v1.GetServerInfoRequest;
import io.pciefarm.proto.v1.GetTopologyRequest;
import io.pciefarm.proto.v1.HierarchyInfo;
import io.pciefarm.proto.v1.HierarchySpec;
import io.pciefarm.proto.v1.HotPlugServiceGrpc;
import io.pciefarm.proto.v1.LeaseServiceGrpc;
import io.pciefarm.proto.v1.ListHierarchiesRequest;
import io.pciefarm.proto.v1.ListLeasesRequest;
import io.pciefarm.proto.v1.ListSlotsRequest;
import io.pciefarm.proto.v1.ProbeResetResponse;
import io.pciefarm.proto.v1.ReadRequest;
import io.pciefarm.proto.v1.ReleaseRequest;
import io.pciefarm.proto.v1.RenewRequest;
import io.pciefarm.proto.v1.ResetMethod;
import io.pciefarm.proto.v1.ResetMethods;
import io.pciefarm.proto.v1.ResetResponse;
import io.pciefarm.proto.v1.ResetServiceGrpc;
import io.pciefarm.proto.v1.ServerInfo;
import io.pciefarm.proto.v1.SetResetMethodsRequest;
import io.pciefarm.proto.v1.SlotState;
import io.pciefarm.proto.v1.SubscribeRequest;
import io.pciefarm.proto.v1.TopologySnapshot;
import io.pciefarm.proto.v1.Width;
import io.pciefarm.proto.v1.WriteRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A connection to a pciefarm server.
 *
 * <pre>{@code
 * try (PcieFarmClient farm = PcieFarmClient.connect("127.0.0.1:50051")) {
 *   FunctionHandle nvme = farm.hierarchy("storage-switch").function("03:00.0");
 *   int ids = nvme.readDword(0);
 * }
 * }</pre>
 *
 * <h2>Identity</h2>
 * A server with a token table needs a bearer token: {@code PcieFarmClient.builder(target)
 * .token(TOKEN).build()} sends it with every call ({@code authorization: Bearer TOKEN}). The
 * tenant it names owns the leases this client acquires.
 *
 * <h2>Retries</h2>
 * Idempotent calls (config reads, ListHierarchies, GetHierarchy, GetTopology, GetServerInfo,
 * ProbeReset, GetResetMethods, ListSlots, GetSlot, ListLeases, Renew, Release, health checks)
 * are retried by gRPC on UNAVAILABLE, up to {@value #MAX_ATTEMPTS} attempts with exponential
 * backoff. So is Acquire, which this client always sends with a request id
 * ({@link #newRequestId()}): the server answers a repeat with the lease the first attempt made.
 * A config write also carries a fresh request id and is retried on UNAVAILABLE with that same id,
 * by this class rather than by gRPC: the server writes it once (an RW1C bit is not cleared
 * twice) however many attempts arrive. Resets, reset-method changes and hot-plug actions change
 * state and are not retried; they carry a fresh request_id, which the server replays. Batches
 * ({@link #openStream}) and hierarchy creation/deletion are never retried: a failure is reported
 * as it is.
 *
 * <h2>Leases</h2>
 * {@link #acquire} returns a {@link LeaseHandle} that renews the lease in the background (one
 * scheduler thread shared by every lease of the process, a renewal at about a third of the TTL)
 * until it is released or closed; closing the handle releases the lease, which resets its
 * functions before they return to the pool.
 *
 * <p>Thread-safe: share one client; calls on it may come from any thread.
 */
public final class PcieFarmClient implements AutoCloseable {
  /** Attempts the retry policy allows an idempotent call, the first included. */
  public static final int MAX_ATTEMPTS = 4;
  /** Deadline of every unary call unless {@link Options#callTimeout} says otherwise. */
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(30);

  /**
   * Least deadline of a Release: it answers once the lease's devices are reset, which can take
   * the farm's whole readiness timeout for a device that does not come back.
   */
  public static final Duration RELEASE_TIMEOUT = Duration.ofSeconds(90);

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final ManagedChannel channel;
  private final EventLoopGroup ownGroup;
  private final String target;
  private final Duration callTimeout;
  private final FarmServiceGrpc.FarmServiceBlockingStub farm;
  private final ConfigServiceGrpc.ConfigServiceBlockingStub config;
  private final ResetServiceGrpc.ResetServiceBlockingStub resets;
  private final ResetServiceGrpc.ResetServiceStub resetsAsync;
  private final HotPlugServiceGrpc.HotPlugServiceBlockingStub hotPlug;
  private final LeaseServiceGrpc.LeaseServiceBlockingStub leases;
  private final LeaseServiceGrpc.LeaseServiceStub leasesAsync;
  /** Leases whose handles renew them: closing the client stops that. */
  private final Set<LeaseHandle> renewing = ConcurrentHashMap.newKeySet();

  /** Connection settings beyond the address. */
  public record Options(Duration callTimeout, int maxInboundMessageBytes) {
    public static Options defaults() {
      return new Options(DEFAULT_CALL_TIMEOUT, 64 << 20);
    }

    public Options withCallTimeout(Duration timeout) {
      return new Options(timeout, maxInboundMessageBytes);
    }
  }

  private PcieFarmClient(ManagedChannel channel, EventLoopGroup ownGroup, String target,
      Options options) {
    this.channel = channel;
    this.ownGroup = ownGroup;
    this.target = target;
    this.callTimeout = options.callTimeout();
    this.farm = FarmServiceGrpc.newBlockingStub(channel);
    this.config = ConfigServiceGrpc.newBlockingStub(channel);
    this.resets = ResetServiceGrpc.newBlockingStub(channel);
    this.resetsAsync = ResetServiceGrpc.newStub(channel);
    this.hotPlug = HotPlugServiceGrpc.newBlockingStub(channel);
    this.leases = LeaseServiceGrpc.newBlockingStub(channel);
    this.leasesAsync = LeaseServiceGrpc.newStub(channel);
  }

  /** Starts configuring a client of {@code target} (as {@link #connect(String)} takes it). */
  public static Builder builder(String target) {
    return new Builder(target);
  }

  /** Connection settings: the target, a bearer token, timeouts. */
  public static final class Builder {
    private final String target;
    private Options options = Options.defaults();
    private String token;

    private Builder(String target) {
      this.target = Objects.requireNonNull(target, "target");
    }

    /**
     * The bearer token to send with every call; null or blank sends none (for a server without
     * a token table).
     *
     * @throws IllegalArgumentException for a token that cannot travel in a header
     */
    public Builder token(String token) {
      if (token != null && !token.isBlank()) {
        token = token.strip();
        if (!token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
          throw new IllegalArgumentException("the token must be printable ASCII without blanks");
        }
        this.token = token;
      } else {
        this.token = null;
      }
      return this;
    }

    public Builder options(Options options) {
      this.options = Objects.requireNonNull(options, "options");
      return this;
    }

    /** Deadline of each unary call; default {@link #DEFAULT_CALL_TIMEOUT}. */
    public Builder callTimeout(Duration timeout) {
      this.options = options.withCallTimeout(timeout);
      return this;
    }

    public PcieFarmClient build() {
      return open(target, options, token);
    }
  }

  /**
   * Connects to {@code host:port} ({@code [v6addr]:port} for IPv6), or to a Unix socket given
   * as {@code unix:PATH}. The connection is made lazily, on the first call.
   */
  public static PcieFarmClient connect(String target) {
    return connect(target, Options.defaults());
  }

  public static PcieFarmClient connect(String target, Options options) {
    return open(target, options, null);
  }

  private static PcieFarmClient open(String target, Options options, String token) {
    Objects.requireNonNull(target, "target");
    if (target.startsWith("unix:")) {
      return openUnix(Path.of(target.substring("unix:".length())), options, token);
    }
    int colon = target.lastIndexOf(':');
    if (colon <= 0 || colon == target.length() - 1) {
      throw new IllegalArgumentException("'" + target
          + "' is not a server address: expected HOST:PORT, e.g. 127.0.0.1:50051, or unix:PATH");
    }
    String host = target.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(target.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("'" + target.substring(colon + 1)
          + "' in '" + target + "' is not a TCP port (1..65535)");
    }
    NettyChannelBuilder b = NettyChannelBuilder.forAddress(host, port);
    return new PcieFarmClient(configure(b, options, token).build(), null, target, options);
  }

  /** Connects to a server's Unix domain socket (needs epoll, i.e. Linux). */
  public static PcieFarmClient connectUnix(Path socket) {
    return connectUnix(socket, Options.defaults());
  }

  public static PcieFarmClient connectUnix(Path socket, Options options) {
    return openUnix(socket, options, null);
  }

  private static PcieFarmClient openUnix(Path socket, Options options, String token) {
    Transport t = Transport.best();
    Class<? extends io.netty.channel.Channel> type = t.unixChannel();
    EventLoopGroup group = t.newEventLoopGroup(1, "pciefarm-client");
    NettyChannelBuilder b = NettyChannelBuilder.forAddress(
        new DomainSocketAddress(socket.toAbsolutePath().toString()))
        .eventLoopGroup(group).channelType(type);
    return new PcieFarmClient(configure(b, options, token).build(), group, "unix:" + socket,
        options);
  }

  private static NettyChannelBuilder configure(NettyChannelBuilder b, Options options,
      String token) {
    if (token != null) {
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, "Bearer " + token);
      b.intercept(MetadataUtils.newAttachHeadersInterceptor(headers));
    }
    return b.usePlaintext()
        .maxInboundMessageSize(options.maxInboundMessageBytes())
        .disableServiceConfigLookUp()
        .defaultServiceConfig(retryServiceConfig())
        .enableRetry()
        .maxRetryAttempts(MAX_ATTEMPTS);
  }

  /**
   * gRPC service config: retry on UNAVAILABLE for the idempotent methods only. Numbers are
   * doubles because the service config is JSON.
   */
  static Map<String, Object> retryServiceConfig() {
    List<Map<String, Object>> names = List.of(
        method("pciefarm.v1.ConfigService", "Read"),
        method("pciefarm.v1.FarmService", "ListHierarchies"),
        method("pciefarm.v1.FarmService", "GetHierarchy"),
        method("pciefarm.v1.FarmService", "GetTopology"),
        method("pciefarm.v1.FarmService", "GetServerInfo"),
        method("pciefarm.v1.ResetService", "ProbeReset"),
        method("pciefarm.v1.ResetService", "GetResetMethods"),
        method("pciefarm.v1.HotPlugService", "ListSlots"),
        method("pciefarm.v1.HotPlugService", "GetSlot"),
        method("pciefarm.v1.LeaseService", "ListLeases"),
        method("pciefarm.v1.LeaseService", "Renew"),
        method("pciefarm.v1.LeaseService", "Release"),
        // Safe with a request_id, which acquireLease always sets.
        method("pciefarm.v1.LeaseService", "Acquire"),
        method("grpc.health.v1.Health", "Check"));
    Map<String, Object> retry = Map.of(
        "maxAttempts", (double) MAX_ATTEMPTS,
        "initialBackoff", "0.05s",
        "maxBackoff", "1s",
        "backoffMultiplier", 2.0,
        "retryableStatusCodes", List.of("UNAVAILABLE"));
    return Map.of("methodConfig", List.of(Map.of("name", names, "retryPolicy", retry)));
  }

  private static Map<String, Object> method(String service, String method) {
    return Map.of("service", service, "method", method);
  }

  /**
   * The underlying channel, for raw stubs of grpc's own services (health, reflection) or of
   * calls this library does not wrap. Calls on it carry this client's token and follow its
   * retry policy: a raw Acquire should carry a request_id.
   */
  public io.grpc.Channel channel() {
    return channel;
  }

  /** What this client connects to, as given. */
  public String target() {
    return target;
  }

  // ---------------------------------------------------------------------------------------------
  // Farm

  /** Every hierarchy, in segment order. */
  public List<HierarchyInfo> hierarchies() {
    return call("listing hierarchies", () -> farm().listHierarchies(
        ListHierarchiesRequest.getDefaultInstance()).getHierarchiesList());
  }

  /** A handle on the hierarchy called {@code name}; nothing is checked until it is used. */
  public HierarchyHandle hierarchy(String name) {
    return new HierarchyHandle(this, name);
  }

  /** Builds a hierarchy on the server. Not retried. */
  public HierarchyHandle createHierarchy(HierarchySpec spec) {
    HierarchyInfo info = call("creating a hierarchy", () -> farm().createHierarchy(
        CreateHierarchyRequest.newBuilder().setSpec(spec).build()));
    return new HierarchyHandle(this, info.getName(), info);
  }

  /** Deletes a hierarchy; returns what it was. Not retried. */
  public HierarchyInfo deleteHierarchy(String name) {
    return deleteHierarchy(name, false);
  }

  /**
   * Deletes a hierarchy; with {@code force} even while leases are held on it (they end with it).
   * Not retried.
   */
  public HierarchyInfo deleteHierarchy(String name, boolean force) {
    return call("deleting a hierarchy", () -> farm().deleteHierarchy(
        DeleteHierarchyRequest.newBuilder().setName(name).setForce(force).build()).getDeleted());
  }

  HierarchyInfo hierarchyInfo(String name) {
    return call("getting hierarchy " + name, () -> farm().getHierarchy(
        GetHierarchyRequest.newBuilder().setName(name).build()));
  }

  /** The live topology of one hierarchy, or of the whole farm for {@code null} or "". */
  public TopologySnapshot topology(String hierarchy) {
    return call("getting the topology", () -> farm().getTopology(
        GetTopologyRequest.newBuilder().setHierarchy(hierarchy == null ? "" : hierarchy)
            .build()));
  }

  /** The server's version, services and limits (e.g. the most accesses a batch may carry). */
  public ServerInfo serverInfo() {
    return call("getting server info", () -> farm().getServerInfo(
        GetServerInfoRequest.getDefaultInstance()));
  }

  // ---------------------------------------------------------------------------------------------
  // Config

  /** A handle on the function at {@code address} ({@code DDDD:BB:DD.F}). */
  public FunctionHandle function(String address) {
    return new FunctionHandle(this, Address.parse(address));
  }

  public FunctionHandle function(Address address) {
    return new FunctionHandle(this, address);
  }

  /** One config read; all ones where no function answers. Retried on UNAVAILABLE. */
  public int read(Address address, int offset, int width) {
    return call("reading config space", () -> config().read(ReadRequest.newBuilder()
        .setAddress(address.toString()).setOffset(offset).setWidth(width(width)).build())
        .getValue());
  }

  /**
   * One config write; dropped where no function answers. It carries a fresh request id and is
   * retried on UNAVAILABLE with that id, so the server applies it once.
   *
   * @return true when a function received it
   * @throws PcieFarmException PERMISSION_DENIED for a function this client's tenant does not
   *     hold (see {@link #acquire})
   */
  public boolean write(Address address, int offset, int width, int value) {
    return write(address, offset, width, value, newRequestId());
  }

  /**
   * One config write with the caller's request id: a repeat of the same write with the same id
   * (within the server's memory, 10 minutes) is answered without writing again. Retried on
   * UNAVAILABLE with the id; with a null or empty id it is sent once, never retried.
   */
  public boolean write(Address address, int offset, int width, int value, String requestId) {
    WriteRequest.Builder b = WriteRequest.newBuilder().setAddress(address.toString())
        .setOffset(offset).setWidth(width(width)).setValue(value);
    boolean retry = requestId != null && !requestId.isEmpty();
    if (retry) {
      b.setRequestId(requestId);
    }
    WriteRequest request = b.build();
    long backoffMillis = 50;
    for (int attempt = 1; ; attempt++) {
      try {
        return config().write(request).getPresent();
      } catch (StatusRuntimeException e) {
        if (!retry || attempt >= MAX_ATTEMPTS
            || e.getStatus().getCode() != io.grpc.Status.Code.UNAVAILABLE) {
          throw PcieFarmException.of(e, "writing config space on " + target);
        }
        try {
          Thread.sleep(backoffMillis + ThreadLocalRandom.current().nextLong(backoffMillis / 2 + 1));
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw PcieFarmException.of(e, "writing config space on " + target);
        }
        backoffMillis = Math.min(backoffMillis * 2, 1000);
      }
    }
  }

  /**
   * A fresh request id: a random (version 4) UUID. Request ids need to be unique per tenant, not
   * secret, so this uses a fast thread-local generator rather than the shared secure one.
   */
  public static String newRequestId() {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    long msb = (r.nextLong() & ~0xF000L) | 0x4000L;
    long lsb = (r.nextLong() & ~(0xC000_0000_0000_0000L)) | 0x8000_0000_0000_0000L;
    return new UUID(msb, lsb).toString();
  }

  /**
   * Opens a batch stream. Close it when done; it is not thread-safe, but several streams may be
   * open at once.
   *
   * @param window how many batches may be in flight before {@link ConfigStream#submit} waits
   */
  public ConfigStream openStream(int window) {
    return new ConfigStream(ConfigServiceGrpc.newStub(channel), window);
  }

  /** {@link #openStream(int)} with a window of 8 batches. */
  public ConfigStream openStream() {
    return openStream(8);
  }

  // ---------------------------------------------------------------------------------------------
  // Resets

  /**
   * What {@link #reset(ResetSpec)} would do now: the method, every function it would hit with
   * its group, owner and use, and which of them block the caller. Changes nothing. Function and
   * device addresses must be complete ({@code DDDD:BB:DD.F}), slots and buses name their
   * hierarchy; {@link HierarchyHandle#probeReset} fills both in.
   */
  public ProbeResetResponse probeReset(ResetSpec spec) {
    return call("probing a reset of " + spec, () -> resets().probeReset(spec.probeRequest()));
  }

  /**
   * Resets, waiting for the answer (by default once every affected function is ready again).
   * Never retried.
   *
   * @throws PcieFarmException FAILED_PRECONDITION (ownership, with the blocking functions in
   *     {@link PcieFarmException#blockingFunctions()}; no method; a root bus), ABORTED (busy,
   *     in TRY mode), DEADLINE_EXCEEDED, NOT_FOUND, INVALID_ARGUMENT
   */
  public ResetResponse reset(ResetSpec spec) {
    java.time.Duration d = spec.callDeadline(callTimeout);
    return call("resetting " + spec, () -> resets.withDeadlineAfter(d.toNanos(),
        TimeUnit.NANOSECONDS).reset(spec.resetRequest()));
  }

  /**
   * {@link #reset(ResetSpec)} without blocking: the future completes with the answer, or
   * exceptionally with a {@link PcieFarmException}. Cancelling it cancels the call (a reset still
   * queued on the server is withdrawn).
   */
  public CompletableFuture<ResetResponse> resetAsync(ResetSpec spec) {
    java.time.Duration d = spec.callDeadline(callTimeout);
    CompletableFuture<ResetResponse> out = new CompletableFuture<>();
    resetsAsync.withDeadlineAfter(d.toNanos(), TimeUnit.NANOSECONDS).reset(spec.resetRequest(),
        new io.grpc.stub.ClientResponseObserver<io.pciefarm.proto.v1.ResetRequest,
            ResetResponse>() {
          @Override
          public void beforeStart(
              io.grpc.stub.ClientCallStreamObserver<io.pciefarm.proto.v1.ResetRequest> call) {
            out.whenComplete((r, e) -> {
              if (out.isCancelled()) {
                call.cancel("cancelled by the caller", null);
              }
            });
          }

          @Override
          public void onNext(ResetResponse r) {
            out.complete(r);
          }

          @Override
          public void onError(Throwable t) {
            out.completeExceptionally(t instanceof StatusRuntimeException s
                ? PcieFarmException.of(s, "resetting " + spec + " on " + target) : t);
          }

          @Override
          public void onCompleted() {
            // the answer came with onNext
          }
        });
    return out;
  }

  /** The function's reset_method list: what it supports, and what Reset may use, in order. */
  public ResetMethods resetMethods(Address function) {
    return call("getting the reset methods of " + function, () -> resets().getResetMethods(
        GetResetMethodsRequest.newBuilder().setAddress(function.toString()).build()));
  }

  /**
   * Writes the function's reset_method list, as writing sysfs does: the methods Reset may use,
   * in order; an unsupported or repeated method is INVALID_ARGUMENT and the list stays. An empty
   * list restores the default (as writing "default"); {@link #disableResets} empties it.
   */
  public ResetMethods setResetMethods(Address function, List<ResetMethod> methods) {
    return call("setting the reset methods of " + function, () -> resets().setResetMethods(
        SetResetMethodsRequest.newBuilder().setAddress(function.toString())
            .addAllMethods(methods).build()));
  }

  /** Disables resets of the function: an empty reset_method list. */
  public ResetMethods disableResets(Address function) {
    return call("disabling resets of " + function, () -> resets().setResetMethods(
        SetResetMethodsRequest.newBuilder().setAddress(function.toString()).setDisable(true)
            .build()));
  }

  // ---------------------------------------------------------------------------------------------
  // Hot-plug

  /** Every hot-plug slot, of one hierarchy or (null or "") of the whole farm. */
  public List<SlotState> slots(String hierarchy) {
    return call("listing slots", () -> hotPlug().listSlots(ListSlotsRequest.newBuilder()
        .setHierarchy(hierarchy == null ? "" : hierarchy).build()).getSlotsList());
  }

  /** A handle on slot {@code number} of {@code hierarchy}; nothing is checked until it is used. */
  public SlotHandle slot(String hierarchy, int number) {
    return new SlotHandle(this, hierarchy, number);
  }

  // ---------------------------------------------------------------------------------------------
  // Events

  /**
   * Subscribes to the events {@code filter} matches; returns once the server's subscription is
   * live. {@code consumer} gets each item ({@code Event} or {@code Gap}) in order, on a gRPC
   * thread; the stream runs until {@link EventSubscription#close()} or the server ends it.
   *
   * @param resumeFrom 0 for events from now on, else the first sequence wanted (the filter must
   *     name one hierarchy)
   * @throws PcieFarmException NOT_FOUND, INVALID_ARGUMENT, FAILED_PRECONDITION (resume point),
   *     RESOURCE_EXHAUSTED
   */
  public EventSubscription subscribe(EventFilter filter, long resumeFrom,
      Consumer<EventStreamItem> consumer) {
    return subscribe(filter, resumeFrom, 0, consumer);
  }

  /**
   * {@link #subscribe(EventFilter, long, Consumer)} with the server-side buffer size: how many
   * events may wait for this subscriber before newer ones become a gap (0: server default).
   */
  public EventSubscription subscribe(EventFilter filter, long resumeFrom, int buffer,
      Consumer<EventStreamItem> consumer) {
    Objects.requireNonNull(consumer, "consumer");
    return EventSubscription.open(channel, SubscribeRequest.newBuilder()
        .setFilter(filter == null ? EventFilter.getDefaultInstance() : filter)
        .setResumeFrom(resumeFrom).setBuffer(buffer).build(), consumer, callTimeout,
        "subscribing to events on " + target);
  }

  // ---------------------------------------------------------------------------------------------
  // Leases

  /**
   * Acquires a lease and renews it in the background until the handle is released or closed.
   * A request without a request id gets one (so retries are safe); with {@code wait} the call
   * waits up to this client's call timeout (see {@link #acquire(AcquireRequest, Duration)}).
   *
   * @throws PcieFarmException FAILED_PRECONDITION naming each blocking function when a group
   *     is taken ({@link PcieFarmException#blockingFunctions()}), NOT_FOUND, INVALID_ARGUMENT,
   *     DEADLINE_EXCEEDED (wait ran out)
   */
  public LeaseHandle acquire(AcquireRequest request) {
    return acquire(request, callTimeout);
  }

  /** {@link #acquire(AcquireRequest)}, waiting up to {@code deadline} when the request waits. */
  public LeaseHandle acquire(AcquireRequest request, Duration deadline) {
    LeaseHandle handle = new LeaseHandle(this, acquireLease(request, deadline));
    renewing.add(handle);
    handle.startRenewing();
    return handle;
  }

  /**
   * One Acquire call, without a handle: nothing renews or releases the lease (the CLI's
   * {@code lease acquire} without {@code --hold}). Sets a request id when there is none.
   */
  public io.pciefarm.proto.v1.Lease acquireLease(AcquireRequest request) {
    return acquireLease(request, callTimeout);
  }

  public io.pciefarm.proto.v1.Lease acquireLease(AcquireRequest request, Duration deadline) {
    AcquireRequest r = request.getRequestId().isEmpty()
        ? request.toBuilder().setRequestId(newRequestId()).build() : request;
    return call("acquiring a lease on " + r.getHierarchy(), () -> leases
        .withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS).acquire(r));
  }

  /** Extends a lease by {@code ttl} from now (null: its own TTL). */
  public io.pciefarm.proto.v1.Lease renewLease(String leaseId, Duration ttl) {
    RenewRequest.Builder b = RenewRequest.newBuilder().setLeaseId(leaseId);
    if (ttl != null) {
      b.setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(ttl.getSeconds())
          .setNanos(ttl.getNano()));
    }
    return call("renewing lease " + leaseId, () -> leases().renew(b.build()));
  }

  /**
   * Releases a lease: the server resets its functions and returns them to the pool before it
   * answers (allowed {@link #RELEASE_TIMEOUT} at least). False when it was already gone
   * (released or expired).
   */
  public boolean releaseLease(String leaseId) {
    return release(leaseId).getReleased();
  }

  /**
   * {@link #releaseLease}, with the server's whole answer: whether the lease was still there,
   * and {@code notes} on what its clean-up reset could not do (a device whose reset changes
   * nothing returns to the pool as its holder left it).
   */
  public io.pciefarm.proto.v1.ReleaseResponse release(String leaseId) {
    // The answer waits for the resets, which for a device that hangs last the farm's readiness
    // timeout (60 s of farm time): allow that, whatever the call timeout.
    long millis = Math.max(callTimeout.toMillis(), RELEASE_TIMEOUT.toMillis());
    return call("releasing lease " + leaseId, () -> leases
        .withDeadlineAfter(millis, TimeUnit.MILLISECONDS)
        .release(ReleaseRequest.newBuilder().setLeaseId(leaseId).build()));
  }

  /** Active leases of every tenant, of one hierarchy or (null or "") of the whole farm. */
  public List<io.pciefarm.proto.v1.Lease> leases(String hierarchy) {
    return call("listing leases", () -> leases().listLeases(ListLeasesRequest.newBuilder()
        .setHierarchy(hierarchy == null ? "" : hierarchy).build()).getLeasesList());
  }

  LeaseServiceGrpc.LeaseServiceStub leasesAsync() {
    return leasesAsync;
  }

  Duration callTimeout() {
    return callTimeout;
  }

  boolean isClosed() {
    return channel.isShutdown();
  }

  void forget(LeaseHandle handle) {
    renewing.remove(handle);
  }

  // ---------------------------------------------------------------------------------------------
  // Health

  /** The server's health for {@code service} ("" for the whole server). */
  public HealthCheckResponse.ServingStatus health(String service) {
    return call("checking health", () -> HealthGrpc.newBlockingStub(channel)
        .withDeadlineAfter(callTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus());
  }

  /**
   * Closes the connection. Leases acquired through this client stop being renewed (they expire
   * after their TTL unless released first: close their handles before the client).
   */
  @Override
  public void close() {
    for (LeaseHandle h : renewing) {
      h.stopRenewing();
    }
    renewing.clear();
    channel.shutdown();
    try {
      if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
        channel.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    } finally {
      if (ownGroup != null) {
        ownGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
      }
    }
  }

  private FarmServiceGrpc.FarmServiceBlockingStub farm() {
    return farm.withDeadlineAfter(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private ConfigServiceGrpc.ConfigServiceBlockingStub config() {
    return config.withDeadlineAfter(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private ResetServiceGrpc.ResetServiceBlockingStub resets() {
    return resets.withDeadlineAfter(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  HotPlugServiceGrpc.HotPlugServiceBlockingStub hotPlug() {
    return hotPlug.withDeadlineAfter(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private LeaseServiceGrpc.LeaseServiceBlockingStub leases() {
    return leases.withDeadlineAfter(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  static Width width(int bytes) {
    return switch (bytes) {
      case 1 -> Width.WIDTH_BYTE;
      case 2 -> Width.WIDTH_WORD;
      case 4 -> Width.WIDTH_DWORD;
      default -> throw new IllegalArgumentException("access width " + bytes
          + " is not 1, 2 or 4 bytes");
    };
  }

  <T> T call(String what, Supplier<T> call) {
    try {
      return call.get();
    } catch (StatusRuntimeException e) {
      throw PcieFarmException.of(e, what + " on " + target);
    }
  }
}
