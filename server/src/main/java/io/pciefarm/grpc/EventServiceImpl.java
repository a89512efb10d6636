package io.pciefarm.grpc;

import com.google.protobuf.Timestamp;
import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.pciefarm.events.Event;
import io.pciefarm.events.EventFilter;
import io.pciefarm.events.EventType;
import io.pciefarm.events.Gap;
import io.pciefarm.events.StreamItem;
import io.pciefarm.events.Subscription;
import io.pciefarm.farm.Farm;
import io.pciefarm.proto.v1.EventServiceGrpc;
import io.pciefarm.proto.v1.EventStreamItem;
import io.pciefarm.proto.v1.GapCause;
import io.pciefarm.proto.v1.SubscribeRequest;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The event stream over gRPC: one {@link Subscription} of the farm's event bus per Subscribe
 * call, drained into the call as the transport takes it.
 *
 * <h2>Threading and flow control</h2>
 * No thread per subscriber and nothing blocks. Each call drains on its own serializing view of
 * a small shared delivery pool ({@link SerialExecutor}), as {@code io.pciefarm.events}'s
 * package documentation prescribes: a drain sends items while the call {@link ServerCall#isReady
 * is ready} and the subscription has some; it ends when either runs out. The subscription's
 * {@code onReady} (an event arrived after a poll found none) and gRPC's {@code onReady} (the
 * transport can take more) each hand one drain to the serial executor, so publishers and event
 * loops only enqueue. A subscriber that reads slowly fills HTTP/2 flow control, then its bounded
 * buffer, then gets a gap; nothing grows without bound.
 *
 * <p>The call is served by a hand-written handler instead of a generated stub so that the
 * response headers can go out as soon as the subscription is live: a client that waits for them
 * misses no event it acts to cause.
 *
 * <h2>Ending</h2>
 * A client cancellation closes the subscription at once (it leaves the bus). Shutdown ends every
 * stream with UNAVAILABLE after what the transport takes at that moment; a client resumes with
 * {@code resume_from} one more than the last sequence it got.
 */
final class EventServiceImpl {
  /** The buffer a subscription gets when its request asks for none. */
  static final int DEFAULT_BUFFER = 1024;
  /** The largest buffer a request may ask for unless configured otherwise. */
  static final int DEFAULT_MAX_BUFFER = 1 << 16;
  /** Concurrent subscriptions unless configured otherwise. */
  static final int DEFAULT_MAX_SUBSCRIPTIONS = 4096;
  /** Concurrent subscriptions of one client unless configured otherwise. */
  static final int DEFAULT_MAX_SUBSCRIPTIONS_PER_CLIENT = 256;

  /**
   * Set on every connection's attributes by the server's transport filter: identifies the
   * connection, which is the client on a farm without tokens (a loopback or Unix socket peer has
   * no other identity).
   */
  static final Attributes.Key<Object> CONNECTION = Attributes.Key.create("pciefarm-connection");

  private final Farm farm;
  private final int maxBuffer;
  private final int maxSubscriptions;
  private final int maxPerClient;
  /** Live subscriptions per client (tenant, or connection without tokens); none: absent. */
  private final ConcurrentHashMap<Object, Integer> perClient = new ConcurrentHashMap<>();
  private final ExecutorService delivery;
  private final Set<Stream> open = ConcurrentHashMap.newKeySet();
  private final AtomicInteger subscriptions = new AtomicInteger();
  /** Subscribe calls that ever got a live subscription: only grows. */
  private final AtomicLong opened = new AtomicLong();
  private volatile boolean shuttingDown;

  EventServiceImpl(Farm farm, int maxBuffer, int maxSubscriptions, int maxPerClient,
      int deliveryThreads) {
    this.farm = farm;
    this.maxBuffer = maxBuffer;
    this.maxSubscriptions = maxSubscriptions;
    this.maxPerClient = maxPerClient;
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor pool = new ThreadPoolExecutor(deliveryThreads, deliveryThreads, 30,
        TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "pciefarm-events-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    pool.allowCoreThreadTimeOut(true);
    this.delivery = pool;
  }

  ServerServiceDefinition bindService() {
    return ServerServiceDefinition.builder(EventServiceGrpc.getServiceDescriptor())
        .addMethod(EventServiceGrpc.getSubscribeMethod(), (call, headers) -> {
          Stream s = new Stream(call);
          call.request(1);
          return s;
        })
        .build();
  }

  /** Subscribe calls with a live subscription now. */
  int openStreams() {
    return open.size();
  }

  /**
   * Subscribe calls that got a live subscription since the server started. Unlike
   * {@link #openStreams()} it never falls, so a watcher can tell "a new stream opened" from "one
   * opened while another closed".
   */
  long streamsOpened() {
    return opened.get();
  }

  /** Ends every stream with UNAVAILABLE (after what the transport takes now); refuses new ones. */
  void closeStreamsForShutdown() {
    shuttingDown = true;
    for (Stream s : open) {
      s.shutdown();
    }
  }

  /**
   * Who a call counts against for {@link #maxPerClient}: its tenant when the server
   * authenticates (the tenant is the identity, whatever connection it uses), else its
   * connection.
   */
  private static Object client(ServerCall<?, ?> call) {
    Caller caller = Caller.KEY.get();
    if (caller != null) {
      return new Tenant(caller.tenant());
    }
    Object connection = call.getAttributes().get(CONNECTION);
    return connection != null ? connection
        : String.valueOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
  }

  /** A tenant as a client of the per-client limit. */
  private record Tenant(String name) {}

  /** Takes one of {@code client}'s places; false when it holds {@link #maxPerClient}. */
  private boolean takePlace(Object client) {
    boolean[] taken = new boolean[1];
    perClient.compute(client, (k, n) -> {
      int now = n == null ? 0 : n;
      if (now >= maxPerClient) {
        return n;
      }
      taken[0] = true;
      return now + 1;
    });
    return taken[0];
  }

  private void givePlace(Object client) {
    perClient.computeIfPresent(client, (k, n) -> n <= 1 ? null : n - 1);
  }

  /** Stops the delivery threads; after the listeners have terminated. */
  void stop() {
    delivery.shutdownNow();
  }

  /** One Subscribe call. */
  private final class Stream extends ServerCall.Listener<SubscribeRequest> {
    private final ServerCall<SubscribeRequest, EventStreamItem> call;
    /** Whose subscription this is, for the per-client limit; read at the call's start. */
    private final Object client;
    private final SerialExecutor serial = new SerialExecutor(delivery);
    private final AtomicBoolean released = new AtomicBoolean();
    /** A drain is queued and has not started: further signals need not queue another. */
    private final AtomicBoolean drainQueued = new AtomicBoolean();
    private volatile Subscription subscription;
    private volatile boolean cancelled;
    /** Touched only on {@link #serial}. */
    private boolean closed;
    /** Touched only on {@link #serial}: messages may follow only once headers went out. */
    private boolean headersSent;

    Stream(ServerCall<SubscribeRequest, EventStreamItem> call) {
      this.call = call;
      this.client = client(call);
    }

    @Override
    public void onMessage(SubscribeRequest request) {
      if (subscription != null || cancelled) {
        return;
      }
      Subscription s;
      try {
        if (shuttingDown) {
          throw Status.UNAVAILABLE.withDescription("the server is shutting down")
              .asRuntimeException();
        }
        EventFilter filter = filter(request);
        long resumeFrom = request.getResumeFrom();
        if (resumeFrom < 0) {
          throw RequestException.invalid("resume_from", "resume_from "
              + Long.toUnsignedString(resumeFrom) + " is not a sequence number");
        }
        int buffer = buffer(request.getBuffer());
        if (subscriptions.incrementAndGet() > maxSubscriptions) {
          subscriptions.decrementAndGet();
          throw Statuses.resourceExhausted("the server holds " + maxSubscriptions
              + " event subscriptions, its limit: close one or try later");
        }
        if (!takePlace(client)) {
          subscriptions.decrementAndGet();
          throw Statuses.resourceExhausted((client instanceof Tenant t
              ? "tenant '" + t.name() + "' holds " + maxPerClient + " event subscriptions,"
                  + " the limit per tenant"
              : "this connection holds " + maxPerClient + " event subscriptions, the limit"
                  + " per client (per connection on a farm without tokens)")
              + ": close one, or widen one subscription's filter instead of opening more");
        }
        try {
          s = farm.events().subscribe(filter, resumeFrom, buffer, this::signal);
        } catch (RuntimeException e) {
          subscriptions.decrementAndGet();
          givePlace(client);
          throw e;
        }
      } catch (RuntimeException e) {
        StatusRuntimeException status = Statuses.toStatus(e);
        signalOrClose(() -> close(status.getStatus(), status.getTrailers()));
        return;
      }
      subscription = s;
      open.add(this);
      opened.incrementAndGet();
      if (cancelled || shuttingDown) {
        // Cancelled while subscribing, or shutdown began and did not see this stream yet.
        if (cancelled) {
          release();
        } else {
          shutdown();
        }
        return;
      }
      signalOrClose(() -> {
        if (!closed && !cancelled) {
          try {
            call.sendHeaders(new Metadata()); // the subscription is live: tell the client
          } catch (RuntimeException e) {
            release(); // the call ended meanwhile
            return;
          }
          headersSent = true;
          drain();
        }
      });
    }

    @Override
    public void onHalfClose() {
      if (subscription == null && !cancelled) {
        signalOrClose(() -> close(Status.INVALID_ARGUMENT.withDescription(
            "no SubscribeRequest: send one, then half-close"), null));
      }
    }

    @Override
    public void onReady() {
      signal();
    }

    @Override
    public void onCancel() {
      cancelled = true;
      release();
    }

    @Override
    public void onComplete() {
      release();
    }

    /**
     * Hands one drain to the serial executor, from publishers and event loops alike; signals
     * while one is queued add nothing (the queued drain sees what they announce).
     */
    private void signal() {
      if (!drainQueued.compareAndSet(false, true)) {
        return;
      }
      try {
        serial.execute(() -> {
          drainQueued.set(false); // a signal from here on queues the next drain
          drain();
        });
      } catch (RuntimeException e) {
        drainQueued.set(false);
        // The delivery pool is gone: the server is stopping and ends the call itself.
      }
    }

    /** Sends what the subscription has while the transport takes it. On {@link #serial}. */
    private void drain() {
      Subscription s = subscription;
      if (closed || !headersSent || s == null || cancelled) {
        return;
      }
      while (call.isReady()) {
        StreamItem item = s.poll(); // null arms the subscription's onReady
        if (item == null) {
          return;
        }
        try {
          call.sendMessage(item(item));
        } catch (RuntimeException e) {
          release(); // cancelled meanwhile: the transport closed the call
          return;
        }
      }
      // Not ready: gRPC's onReady runs the next drain once the client has read some.
    }

    void shutdown() {
      signalOrClose(() -> {
        drain();
        close(Status.UNAVAILABLE.withDescription("the server is shutting down: resubscribe"
            + " elsewhere or later with resume_from one more than the last sequence received"),
            null);
      });
    }

    private void signalOrClose(Runnable task) {
      try {
        serial.execute(task);
      } catch (RuntimeException e) {
        release();
      }
    }

    /** Ends the call with {@code status}, once. On {@link #serial}. */
    private void close(Status status, Metadata trailers) {
      if (closed) {
        return;
      }
      closed = true;
      release();
      if (!cancelled) {
        try {
          call.close(status, trailers == null ? new Metadata() : trailers);
        } catch (IllegalStateException e) {
          // closed meanwhile by the transport
        }
      }
    }

    /** Closes the subscription and forgets the stream; idempotent, from any thread. */
    private void release() {
      Subscription s = subscription;
      if (s != null && released.compareAndSet(false, true)) {
        s.close();
        open.remove(this);
        subscriptions.decrementAndGet();
        givePlace(client);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Request and items

  private EventFilter filter(SubscribeRequest request) {
    io.pciefarm.proto.v1.EventFilter f = request.getFilter();
    EventFilter out = EventFilter.all();
    if (!f.getHierarchy().isEmpty()) {
      out = out.inHierarchy(farm.get(f.getHierarchy()).name()); // NOT_FOUND when unknown
    }
    if (f.getSlot() != 0) {
      if (f.getSlot() < 0 || f.getSlot() > 8191) {
        throw RequestException.invalid("filter.slot", "filter.slot "
            + Integer.toUnsignedLong(f.getSlot()) + " is not a physical slot number (1..8191)");
      }
      out = out.inSlot(f.getSlot());
    }
    if (!f.getFunction().isEmpty()) {
      out = out.aboutFunction(Requests.address("filter.function", f.getFunction()));
    }
    List<Integer> types = f.getTypesValueList();
    if (!types.isEmpty()) {
      Set<EventType> wanted = EnumSet.noneOf(EventType.class);
      for (int i = 0; i < types.size(); i++) {
        wanted.add(type("filter.types[" + i + "]", types.get(i)));
      }
      out = new EventFilter(out.hierarchy(), out.slot(), out.function(), wanted);
    }
    return out;
  }

  /** The protocol's name for each engine event type, by ordinal: EVENT_TYPE_ + its name. */
  private static final io.pciefarm.proto.v1.EventType[] EVENT_TYPES =
      java.util.Arrays.stream(EventType.values())
          .map(t -> io.pciefarm.proto.v1.EventType.valueOf("EVENT_TYPE_" + t.name()))
          .toArray(io.pciefarm.proto.v1.EventType[]::new);

  static EventType type(String field, int value) {
    io.pciefarm.proto.v1.EventType t = io.pciefarm.proto.v1.EventType.forNumber(value);
    if (t == null || t == io.pciefarm.proto.v1.EventType.EVENT_TYPE_UNSPECIFIED) {
      throw RequestException.invalid(field, field + " " + value + " is not an event type"
          + " (EVENT_TYPE_HIERARCHY_CREATED (1) .. EVENT_TYPE_ISOLATION_GROUPS_CHANGED (20))");
    }
    return EventType.valueOf(t.name().substring("EVENT_TYPE_".length()));
  }

  private int buffer(int requested) {
    if (requested == 0) {
      return Math.min(DEFAULT_BUFFER, maxBuffer);
    }
    if (requested < 0 || requested > maxBuffer) {
      throw Statuses.resourceExhausted("buffer " + Integer.toUnsignedLong(requested)
          + " is over this server's maximum of " + maxBuffer + " events");
    }
    return requested;
  }

  static EventStreamItem item(StreamItem item) {
    if (item instanceof Event e) {
      io.pciefarm.proto.v1.Event.Builder b = io.pciefarm.proto.v1.Event.newBuilder()
          .setHierarchy(e.hierarchy())
          .setSegment(e.segment())
          .setSequence(e.sequence())
          .setTime(Timestamp.newBuilder().setSeconds(e.timestamp().getEpochSecond())
              .setNanos(e.timestamp().getNano()))
          .setType(EVENT_TYPES[e.type().ordinal()])
          .setFunction(e.function())
          .setSlot(e.slot())
          .putAllDetails(e.details());
      return EventStreamItem.newBuilder().setEvent(b).build();
    }
    Gap g = (Gap) item;
    return EventStreamItem.newBuilder().setGap(io.pciefarm.proto.v1.Gap.newBuilder()
        .setCause(g.cause() == Gap.Cause.BUFFER_OVERFLOW ? GapCause.GAP_CAUSE_BUFFER_OVERFLOW
            : GapCause.GAP_CAUSE_HISTORY_EXPIRED)
        .setMissed(g.missed())).build();
  }
}
