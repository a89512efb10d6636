package io.pciefarm.client;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.pciefarm.proto.v1.Lease;
import io.pciefarm.proto.v1.RenewRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A lease this client holds, renewed in the background until it is released or closed. Closing
 * releases it: the server resets its functions, then returns them to the pool, and only then
 * answers.
 *
 * <pre>{@code
 * try (LeaseHandle lease = farm.acquire(AcquireRequest.newBuilder()
 *     .setHierarchy("gpu-passthrough").addFunctions("0000:01:00.0").build())) {
 *   farm.function("0000:01:00.0").writeWord(4, 0x0006); // only the holder may write
 * }
 * }</pre>
 *
 * <h2>Renewal</h2>
 * One daemon thread, shared by every lease of the process, schedules renewals; the Renew calls
 * themselves are asynchronous, so a slow server never holds up other leases. A lease is renewed
 * a third of its TTL after it was granted or last renewed. A renewal that fails for a reason that
 * may pass (UNAVAILABLE, DEADLINE_EXCEEDED, ...) is tried again after a tenth of the TTL (at most
 * a second) until the lease's expiry; a refusal (NOT_FOUND: it expired or was released elsewhere,
 * PERMISSION_DENIED, UNAUTHENTICATED), or an expiry passed without a successful renewal, ends the
 * renewal: {@link #active()} turns false and {@link #failure()} says why.
 *
 * <p>Thread-safe.
 */
public final class LeaseHandle implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(LeaseHandle.class.getName());

  /** The one renewal scheduler of the process, created on first use. */
  private static final class Scheduler {
    static final ScheduledExecutorService INSTANCE = create();

    private static ScheduledExecutorService create() {
      ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "pciefarm-lease-renewal");
        t.setDaemon(true);
        return t;
      });
      s.setRemoveOnCancelPolicy(true);
      return s;
    }
  }

  private final PcieFarmClient client;
  private final String id;
  private volatile Lease info;
  private volatile PcieFarmException failure;
  private volatile boolean released;
  private volatile List<String> releaseNotes = List.of();

  // guarded by this
  private boolean renewing;
  private ScheduledFuture<?> next;

  LeaseHandle(PcieFarmClient client, Lease info) {
    this.client = client;
    this.id = info.getId();
    this.info = info;
  }

  /** The lease's id: what Renew, Release and the CLI's {@code lease} commands take. */
  public String id() {
    return id;
  }

  /** The lease as the server last described it (refreshed by every renewal). */
  public Lease info() {
    return info;
  }

  public String hierarchy() {
    return info.getHierarchy();
  }

  /** Every function the lease holds, {@code DDDD:BB:DD.F}. */
  public List<String> functions() {
    return info.getFunctionsList();
  }

  /** The isolation groups it holds. */
  public List<Integer> groups() {
    return info.getGroupsList();
  }

  /** When it expires unless renewed again, as the server last said. */
  public Instant expires() {
    return Instant.ofEpochSecond(info.getExpires().getSeconds(), info.getExpires().getNanos());
  }

  private Duration ttl() {
    return Duration.ofSeconds(info.getTtl().getSeconds(), info.getTtl().getNanos());
  }

  /** False once released, or once renewal failed for good ({@link #failure()}). */
  public boolean active() {
    return !released && failure == null;
  }

  /** Why background renewal stopped, if it failed. */
  public Optional<PcieFarmException> failure() {
    return Optional.ofNullable(failure);
  }

  /** Renews now, on this thread (background renewal continues on its own schedule). */
  public Lease renew() {
    Lease l = client.renewLease(id, null);
    info = l;
    return l;
  }

  /**
   * Stops renewing and releases the lease: its functions are reset and back in the pool when
   * this returns. False when it was already released or had expired.
   */
  public boolean release() {
    stopRenewing();
    if (released) {
      return false;
    }
    io.pciefarm.proto.v1.ReleaseResponse r = client.release(id);
    releaseNotes = List.copyOf(r.getNotesList());
    released = true;
    client.forget(this);
    return r.getReleased();
  }

  /**
   * After {@link #release()}: what the clean-up reset could not do (see
   * {@link PcieFarmClient#release}); empty before, and when every function was reset.
   */
  public List<String> releaseNotes() {
    return releaseNotes;
  }

  /** {@link #release()}. */
  @Override
  public void close() {
    release();
  }

  // ---------------------------------------------------------------------------------------------
  // Background renewal

  synchronized void startRenewing() {
    renewing = true;
    schedule(third(ttl()));
  }

  synchronized void stopRenewing() {
    renewing = false;
    if (next != null) {
      next.cancel(false);
      next = null;
    }
  }

  private static Duration third(Duration ttl) {
    return max(ttl.dividedBy(3), Duration.ofMillis(10));
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private synchronized void schedule(Duration delay) {
    if (!renewing || client.isClosed()) {
      return;
    }
    next = Scheduler.INSTANCE.schedule(this::renewInBackground, delay.toNanos(),
        TimeUnit.NANOSECONDS);
  }

  private void renewInBackground() {
    synchronized (this) {
      if (!renewing || client.isClosed()) {
        return;
      }
    }
    Duration ttl = ttl();
    // A renewal that hangs must not outlive the lease: give up on it after a third of the TTL.
    Duration deadline = min(max(third(ttl), Duration.ofMillis(200)), client.callTimeout());
    client.leasesAsync().withDeadlineAfter(deadline.toNanos(), TimeUnit.NANOSECONDS)
        .renew(RenewRequest.newBuilder().setLeaseId(id).build(), new StreamObserver<>() {
          @Override
          public void onNext(Lease lease) {
            info = lease;
          }

          @Override
          public void onError(Throwable t) {
            renewalFailed(t, ttl);
          }

          @Override
          public void onCompleted() {
            schedule(third(ttl()));
          }
        });
  }

  private void renewalFailed(Throwable t, Duration ttl) {
    Status status = Status.fromThrowable(t);
    boolean mayPass = switch (status.getCode()) {
      case UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, CANCELLED, INTERNAL,
          UNKNOWN -> true;
      default -> false;
    };
    boolean expired = Instant.now().isAfter(expires());
    synchronized (this) {
      if (!renewing) {
        return; // released or stopped meanwhile: the failure does not matter
      }
      if (mayPass && !expired) {
        schedule(max(min(ttl.dividedBy(10), Duration.ofSeconds(1)), Duration.ofMillis(10)));
        return;
      }
      renewing = false;
    }
    client.forget(this);
    StatusRuntimeException e = t instanceof StatusRuntimeException s ? s
        : status.asRuntimeException();
    failure = PcieFarmException.of(e, "renewing lease " + id + " on " + client.target()
        + (expired && mayPass ? " (it expired before a renewal got through)" : ""));
    LOG.log(Level.WARNING, "lease " + id + " is no longer renewed: " + failure.getMessage());
  }

  @Override
  public String toString() {
    return "lease " + id + " on " + hierarchy() + " " + functions();
  }
}
