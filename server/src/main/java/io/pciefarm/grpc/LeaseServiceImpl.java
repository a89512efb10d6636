package io.pciefarm.grpc;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.pciefarm.farm.Farm;
import io.pciefarm.ownership.Lease;
import io.pciefarm.ownership.Leases;
import io.pciefarm.proto.v1.AcquireRequest;
import io.pciefarm.proto.v1.LeaseServiceGrpc;
import io.pciefarm.proto.v1.ListLeasesRequest;
import io.pciefarm.proto.v1.ListLeasesResponse;
import io.pciefarm.proto.v1.ReleaseRequest;
import io.pciefarm.proto.v1.ReleaseResponse;
import io.pciefarm.proto.v1.RenewRequest;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Leases over {@link Farm#leases()}. The tenant is always the caller's ({@link Caller#current()}).
 *
 * <p>Threading: Acquire and Release start on the farm worker pool (resolving groups may compute
 * the isolation groups; a release plans resets) and answer when the engine's future completes,
 * on whichever thread completes it; no thread waits for one. Renew and ListLeases take the
 * engine's lock briefly and answer on the event loop.
 */
final class LeaseServiceImpl extends LeaseServiceGrpc.LeaseServiceImplBase {
  /** Longest holder name accepted: it is shown in listings and error details. */
  static final int MAX_HOLDER = 256;

  private final Farm farm;
  private final Executor workers;
  private final IdempotentCalls idempotent;

  LeaseServiceImpl(Farm farm, Executor workers, IdempotentCalls idempotent) {
    this.farm = farm;
    this.workers = workers;
    this.idempotent = idempotent;
  }

  @Override
  public void acquire(AcquireRequest request, StreamObserver<io.pciefarm.proto.v1.Lease> out) {
    Caller caller = Caller.current();
    Context context = Context.current();
    IdempotentCalls.reply(idempotent.once(caller,
        LeaseServiceGrpc.getAcquireMethod().getFullMethodName(), request.getRequestId(), request,
        () -> CompletableFuture.supplyAsync(() -> acquire(request, caller, context), workers)
            .thenCompose(f -> f),
        null), out);
  }

  /** Validates, asks the engine; runs on a worker. */
  private CompletableFuture<io.pciefarm.proto.v1.Lease> acquire(AcquireRequest r, Caller caller,
      Context context) {
    Hierarchy h = farm.get(Requests.name("hierarchy", r.getHierarchy()));
    List<Integer> groups = new ArrayList<>();
    for (int i = 0; i < r.getGroupsCount(); i++) {
      int g = r.getGroups(i);
      if (g < 0) { // a uint32 beyond 2^31
        throw RequestException.notFound("hierarchy '" + h.name() + "' has groups 0.."
            + (h.groups().count() - 1) + ", not " + Integer.toUnsignedString(g));
      }
      groups.add(g);
    }
    List<PciAddress> functions = new ArrayList<>();
    for (int i = 0; i < r.getFunctionsCount(); i++) {
      functions.add(Requests.address("functions[" + i + "]", r.getFunctions(i)));
    }
    Duration ttl = r.hasTtl() ? duration("ttl", r.getTtl()) : null;
    if (r.getHolder().length() > MAX_HOLDER) {
      throw RequestException.invalid("holder", "holder has " + r.getHolder().length()
          + " characters; at most " + MAX_HOLDER);
    }
    String holder = r.getHolder().isEmpty() ? caller.tenant() : r.getHolder();
    Duration deadline = null;
    Deadline d = context.getDeadline();
    if (r.getWait() && d != null) {
      deadline = Duration.ofNanos(Math.max(0, d.timeRemaining(TimeUnit.NANOSECONDS)));
    }
    CompletableFuture<Lease> f = farm.leases().acquire(new Leases.Request(h, groups, functions,
        ttl, caller.tenant(), holder, r.getWait(), deadline));
    if (r.getWait()) {
      // A caller that goes away leaves the queue instead of holding up the requests behind it.
      context.addListener(c -> f.cancel(false), Runnable::run);
    }
    return f.thenApply(lease -> {
      if (context.isCancelled() && r.getRequestId().isEmpty()) {
        // Granted as the caller went away, and no retry can ask for it: give it back.
        farm.leases().release(lease.id(), lease.tenant());
        throw Status.CANCELLED.withDescription("the call was cancelled; the lease granted"
            + " meanwhile was released").asRuntimeException();
      }
      return toProto(lease);
    });
  }

  @Override
  public void renew(RenewRequest request, StreamObserver<io.pciefarm.proto.v1.Lease> out) {
    io.pciefarm.proto.v1.Lease response;
    try {
      Duration ttl = request.hasTtl() ? duration("ttl", request.getTtl()) : null;
      response = toProto(farm.leases().renew(leaseId(request.getLeaseId()),
          Caller.current().tenant(), ttl));
    } catch (RuntimeException e) {
      out.onError(Statuses.toStatus(e));
      return;
    }
    out.onNext(response);
    out.onCompleted();
  }

  @Override
  public void release(ReleaseRequest request, StreamObserver<ReleaseResponse> out) {
    Caller caller = Caller.current();
    CompletableFuture<ReleaseResponse> f;
    try {
      String id = leaseId(request.getLeaseId());
      f = CompletableFuture.supplyAsync(() -> farm.leases().release(id, caller.tenant()), workers)
          .thenCompose(released -> released)
          .thenApply(r -> ReleaseResponse.newBuilder().setReleased(r.released())
              .addAllNotes(r.notes()).build());
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    IdempotentCalls.reply(f, out);
  }

  @Override
  public void listLeases(ListLeasesRequest request, StreamObserver<ListLeasesResponse> out) {
    ListLeasesResponse response;
    try {
      Hierarchy h = request.getHierarchy().isEmpty() ? null : farm.get(request.getHierarchy());
      ListLeasesResponse.Builder b = ListLeasesResponse.newBuilder();
      for (Lease l : farm.leases().list(h)) {
        b.addLeases(toProto(l));
      }
      response = b.build();
    } catch (RuntimeException e) {
      out.onError(Statuses.toStatus(e));
      return;
    }
    out.onNext(response);
    out.onCompleted();
  }

  private static String leaseId(String id) {
    if (id.isEmpty()) {
      throw RequestException.invalid("lease_id", "lease_id is missing: give the id Acquire"
          + " returned (pciefarm lease ls lists them)");
    }
    return id;
  }

  static Duration duration(String field, com.google.protobuf.Duration d) {
    boolean mixedSigns = (d.getSeconds() < 0 && d.getNanos() > 0)
        || (d.getSeconds() > 0 && d.getNanos() < 0);
    if (mixedSigns || d.getNanos() <= -1_000_000_000 || d.getNanos() >= 1_000_000_000) {
      throw RequestException.invalid(field, field + " is not a valid Duration (seconds "
          + d.getSeconds() + ", nanos " + d.getNanos() + ")");
    }
    Duration out = Duration.ofSeconds(d.getSeconds(), d.getNanos());
    if (out.isNegative()) {
      throw RequestException.invalid(field, field + " " + out + " is negative");
    }
    return out;
  }

  static com.google.protobuf.Duration proto(Duration d) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds())
        .setNanos(d.getNano()).build();
  }

  /** The engine's lease as the protocol's; its expiry on the wall clock. */
  private io.pciefarm.proto.v1.Lease toProto(Lease l) {
    long left = l.expiresAtNanos() - farm.timeBase().clock().nanoTime();
    Instant expires = Instant.now().plusNanos(left);
    io.pciefarm.proto.v1.Lease.Builder b = io.pciefarm.proto.v1.Lease.newBuilder()
        .setId(l.id())
        .setHierarchy(l.hierarchy().name())
        .addAllGroups(l.groups())
        .setHolder(l.holder())
        .setTenant(l.tenant())
        .setTtl(proto(l.ttl()))
        .setExpires(com.google.protobuf.Timestamp.newBuilder()
            .setSeconds(expires.getEpochSecond()).setNanos(expires.getNano()));
    for (PciFunction f : l.functions()) {
      b.addFunctions(f.describe());
    }
    return b.build();
  }
}
