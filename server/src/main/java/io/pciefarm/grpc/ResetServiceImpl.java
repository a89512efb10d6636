package io.pciefarm.grpc;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.pciefarm.events.EventLog;
import io.pciefarm.farm.Farm;
import io.pciefarm.ownership.Authority;
import io.pciefarm.ownership.Lease;
import io.pciefarm.ownership.Owner;
import io.pciefarm.proto.v1.AffectedFunction;
import io.pciefarm.proto.v1.GetResetMethodsRequest;
import io.pciefarm.proto.v1.ProbeResetRequest;
import io.pciefarm.proto.v1.ProbeResetResponse;
import io.pciefarm.proto.v1.ResetMethods;
import io.pciefarm.proto.v1.ResetRequest;
import io.pciefarm.proto.v1.ResetResponse;
import io.pciefarm.proto.v1.ResetServiceGrpc;
import io.pciefarm.proto.v1.SetResetMethodsRequest;
import io.pciefarm.reset.MethodSet;
import io.pciefarm.reset.ResetException;
import io.pciefarm.reset.ResetMethod;
import io.pciefarm.reset.ResetPlan;
import io.pciefarm.reset.ResetResult;
import io.pciefarm.reset.ResetSupport;
import io.pciefarm.reset.ResetTarget;
import io.pciefarm.reset.Resets;
import io.pciefarm.reset.WithdrawableFuture;
import io.pciefarm.time.FarmClock;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Resets over gRPC, on the reset engine ({@link Hierarchy#resets()}).
 *
 * <h2>Threading</h2>
 * Every call runs on the farm worker pool (planning a reset computes isolation groups). A reset
 * itself is a chain of steps on the farm clock: the worker only starts it, and the call is
 * answered from the completion of the engine's future (or of its "issued" signal, without
 * {@code wait_ready}); no thread waits for a reset. A call whose client gives up (deadline or
 * cancellation) withdraws its request if it is still queued.
 *
 * <h2>Deadlines</h2>
 * A WAIT request queues for its {@code wait_timeout}, or until shortly before the call's
 * deadline when it has none (whichever is sooner): the farm then answers DEADLINE_EXCEEDED, or
 * with the functions it stopped waiting for in {@code not_ready}, before the client gives up.
 *
 * <h2>Idempotency</h2>
 * {@link #reset(ResetRequest)} and {@link #setResetMethods(SetResetMethodsRequest)} hold the
 * whole of each state-changing call: a request in, the answer (or its future) out, so a replay
 * {@code request_id} makes them run once: a retry is answered with the first outcome.
 */
final class ResetServiceImpl extends ResetServiceGrpc.ResetServiceImplBase {
  /** Part of the call's remaining time kept back, so the answer beats the client's deadline. */
  private static final Duration MAX_DEADLINE_MARGIN = Duration.ofMillis(500);

  private final Farm farm;
  private final Executor workers;
  private final IdempotentCalls idempotent;

  ResetServiceImpl(Farm farm, Executor workers, IdempotentCalls idempotent) {
    this.farm = farm;
    this.workers = workers;
    this.idempotent = idempotent;
  }

  @Override
  public void probeReset(ProbeResetRequest request, StreamObserver<ProbeResetResponse> out) {
    Calls.offload(workers, out, () -> probeReset(request));
  }

  @Override
  public void reset(ResetRequest request, StreamObserver<ResetResponse> out) {
    // A retry with the same request_id is answered with the first attempt's outcome: the
    // reset runs once.
    // A client that gives up (deadline, cancel) withdraws the reset it started, as a queued
    // request leaves the queue; a replay started nothing and withdraws nothing.
    java.util.concurrent.atomic.AtomicReference<CompletableFuture<ResetResponse>> started =
        new java.util.concurrent.atomic.AtomicReference<>();
    io.grpc.Context context = io.grpc.Context.current();
    io.grpc.Context.CancellationListener gaveUp = c -> {
      CompletableFuture<ResetResponse> f = started.get();
      if (f != null) {
        f.cancel(false);
      }
    };
    context.addListener(gaveUp, Runnable::run);
    CompletableFuture<ResetResponse> outcome = idempotent.once(Caller.current(),
        ResetServiceGrpc.getResetMethod().getFullMethodName(), request.getRequestId(), request,
        () -> {
          CompletableFuture<ResetResponse> f = Calls.onWorker(workers, () -> reset(request));
          started.set(f);
          if (context.isCancelled()) {
            f.cancel(false);
          }
          return f;
        },
        r -> r.toBuilder().setReplayed(true).build());
    outcome.whenComplete((r, e) -> context.removeListener(gaveUp));
    IdempotentCalls.reply(outcome, out);
  }

  @Override
  public void getResetMethods(GetResetMethodsRequest request, StreamObserver<ResetMethods> out) {
    Calls.offload(workers, out, () -> methods(function("address", request.getAddress())));
  }

  @Override
  public void setResetMethods(SetResetMethodsRequest request, StreamObserver<ResetMethods> out) {
    Calls.offload(workers, out, () -> setResetMethods(request));
  }

  // -------------------------------------------------------------------------------------------
  // The work of each call

  /** ProbeReset: the plan, judged for the caller; changes nothing. */
  ProbeResetResponse probeReset(ProbeResetRequest request) {
    Target t = target(request.getTarget());
    Set<ResetMethod> allowed = allowed(request.getMethodsValueList(), request.getAliasValue());
    Authority caller = Caller.current().authority(request.getLeaseId(), farm.leases());
    ResetPlan plan = t.hierarchy.resets().probe(engineRequest(t, allowed,
        io.pciefarm.reset.ResetRequest.Mode.WAIT, null, false, caller));
    ProbeResetResponse.Builder b = ProbeResetResponse.newBuilder()
        .setMethod(FunctionInfos.resetMethod(plan.method()));
    boolean permitted = true;
    for (io.pciefarm.reset.AffectedFunction a : inAddressOrder(plan.affected())) {
      boolean blocking = !caller.covers(a.owner());
      permitted &= !blocking;
      b.addAffected(affected(a, blocking));
    }
    for (ResetMethod m : supported(t)) {
      b.addSupported(FunctionInfos.resetMethod(m));
    }
    return b.setPermitted(permitted).build();
  }

  /**
   * Reset: refusals (bad target, no method, not owner, busy in TRY mode) throw at once; the
   * future completes when the reset is done and its functions are ready (with
   * {@code wait_ready}), or as soon as it is issued (without), or fails with the engine's
   * DEADLINE_EXCEEDED. Cancelling the future withdraws a request that is still queued. Runs in
   * the call's context (the caller and its deadline).
   */
  CompletableFuture<ResetResponse> reset(ResetRequest request) {
    Target t = target(request.getTarget());
    Set<ResetMethod> allowed = allowed(request.getMethodsValueList(), request.getAliasValue());
    io.pciefarm.reset.ResetRequest.Mode mode = switch (request.getModeValue()) {
      case 0, 1 -> io.pciefarm.reset.ResetRequest.Mode.WAIT;
      case 2 -> io.pciefarm.reset.ResetRequest.Mode.TRY;
      default -> throw RequestException.invalid("mode", "mode " + request.getModeValue()
          + " is not RESET_MODE_WAIT (1) or RESET_MODE_TRY (2)");
    };
    Duration deadline = deadline(request);
    Authority caller = Caller.current().authority(request.getLeaseId(), farm.leases());
    boolean waitReady = request.getWaitReady();
    EventLog log = farm.events().log(t.hierarchy.name()).orElse(null);
    FarmClock clock = t.hierarchy.timeBase().clock();
    AtomicLong firstSequence = new AtomicLong();
    AtomicLong issuedAt = new AtomicLong();
    // Cancelling the answer (the client gave up) withdraws the request only while it is
    // queued; once started it runs to its end and its outcome stands for a retry with its id.
    WithdrawableFuture<ResetResponse> answer = new WithdrawableFuture<>();
    Resets.Progress progress = new Resets.Progress() {
      @Override
      public void started() {
        firstSequence.set(log == null ? 0 : log.lastSequence() + 1);
      }

      @Override
      public void issued(Resets.Issued issued) {
        issuedAt.set(clock.nanoTime());
        if (!waitReady) {
          answer.complete(response(issued.plan(), issued.warnings(), issued.notReady(),
              issued.readyInNanos(), request.getSaveRestore(), firstSequence.get()));
        }
      }
    };
    CompletableFuture<ResetResult> done = t.hierarchy.resets().reset(engineRequest(t, allowed,
        mode, deadline, request.getSaveRestore(), caller), progress);
    answer.cancelsWith(done);
    done.whenComplete((result, failure) -> {
      if (failure != null) {
        answer.completeExceptionally(failure);
        return;
      }
      long readyAfter = result.complete() ? clock.nanoTime() - issuedAt.get() : -1;
      answer.complete(response(result.plan(), result.warnings(), result.notReady(), readyAfter,
          result.restored(), firstSequence.get()));
    });
    return answer;
  }

  /** SetResetMethods: writes the function's reset_method list with sysfs semantics. */
  ResetMethods setResetMethods(SetResetMethodsRequest request) {
    PciFunction f = function("address", request.getAddress());
    Caller caller = Caller.current();
    if (!caller.mayModify(f.owner())) {
      throw new RequestException(Status.Code.PERMISSION_DENIED, "", f.describe()
          + " belongs to " + f.owner() + (f.owner().isHost()
          ? ": only an administrator may change its reset methods"
          : ", another tenant's lease: only its holder may change its reset methods"));
    }
    String text;
    if (request.getDisable()) {
      if (request.getMethodsCount() > 0) {
        throw RequestException.invalid("methods", "give methods or disable, not both:"
            + " disable empties the list");
      }
      text = "";
    } else if (request.getMethodsCount() == 0) {
      text = "default";
    } else {
      List<String> names = new ArrayList<>();
      List<Integer> values = request.getMethodsValueList();
      for (int i = 0; i < values.size(); i++) {
        names.add(method("methods[" + i + "]", values.get(i)).sysfsName());
      }
      text = String.join(" ", names);
    }
    try {
      io.pciefarm.reset.ResetMethods.set(f, text);
    } catch (IllegalArgumentException e) {
      throw RequestException.invalid("methods", e.getMessage() + "; the list stays '"
          + io.pciefarm.reset.ResetMethods.show(f) + "'");
    }
    return methods(f);
  }

  // -------------------------------------------------------------------------------------------
  // Requests to engine terms

  /** A resolved target: its hierarchy, the engine's target, and the function for FUNCTION. */
  private record Target(Hierarchy hierarchy, ResetTarget target, PciFunction function) {}

  private Target target(io.pciefarm.proto.v1.ResetTarget t) {
    switch (t.getKindValue()) {
      case 1, 2 -> {
        PciAddress a = Requests.address("target.address", t.getAddress());
        Hierarchy h = Requests.bySegment(farm, a.segment());
        sameHierarchy(t, h);
        return t.getKindValue() == 1
            ? new Target(h, new ResetTarget.Function(a), h.lookup(a))
            : new Target(h, new ResetTarget.Device(a), null);
      }
      case 3 -> {
        if (!t.getAddress().isEmpty()) {
          PciFunction port = function("target.address", t.getAddress());
          sameHierarchy(t, port.hierarchy());
          int slot = port.slot() == null ? 0 : Hierarchy.physicalSlot(port);
          if (slot == 0) {
            throw RequestException.invalid("target.address", port.describe()
                + " provides no hot-plug slot: a SLOT reset names a port with a slot");
          }
          return new Target(port.hierarchy(), new ResetTarget.Slot(slot), null);
        }
        Hierarchy h = hierarchy(t);
        if (t.getSlot() == 0) {
          throw RequestException.invalid("target.slot", "target.slot is missing: give the"
              + " physical slot number (with target.hierarchy), or the port's target.address");
        }
        return new Target(h, new ResetTarget.Slot((int) Math.min(t.getSlot(), Integer.MAX_VALUE)),
            null);
      }
      case 4 -> {
        if (!t.getAddress().isEmpty()) {
          PciFunction bridge = function("target.address", t.getAddress());
          sameHierarchy(t, bridge.hierarchy());
          if (!bridge.isBridge()) {
            throw RequestException.invalid("target.address", bridge.describe()
                + " is not a bridge: a BUS reset names the bridge above the bus, or the bus"
                + " number");
          }
          int bus = bridge.secondaryBusNumber();
          if (bus == 0) {
            throw new RequestException(Status.Code.FAILED_PRECONDITION, "", bridge.describe()
                + " has no secondary bus number programmed: nothing routes to the bus below it");
          }
          return new Target(bridge.hierarchy(), new ResetTarget.Bus(bus), null);
        }
        Hierarchy h = hierarchy(t);
        if (t.getBus() > 0xFF) {
          throw RequestException.invalid("target.bus", "target.bus " + Integer.toUnsignedLong(
              t.getBus()) + " is outside 0..255");
        }
        return new Target(h, new ResetTarget.Bus(t.getBus()), null);
      }
      case 0 -> throw RequestException.invalid("target.kind", "target.kind is missing: give"
          + " RESET_TARGET_KIND_FUNCTION, _DEVICE, _SLOT or _BUS");
      default -> throw RequestException.invalid("target.kind", "target.kind "
          + t.getKindValue() + " is not a reset target kind (1..4)");
    }
  }

  private Hierarchy hierarchy(io.pciefarm.proto.v1.ResetTarget t) {
    if (t.getHierarchy().isEmpty()) {
      throw RequestException.invalid("target.hierarchy", "target.hierarchy is missing: a "
          + (t.getKindValue() == 3 ? "slot" : "bus") + " is named by target.hierarchy and its"
          + " number, or by target.address");
    }
    return farm.get(t.getHierarchy());
  }

  /** A hierarchy named next to an address must be the address's. */
  private static void sameHierarchy(io.pciefarm.proto.v1.ResetTarget t, Hierarchy h) {
    if (!t.getHierarchy().isEmpty() && !t.getHierarchy().equals(h.name())) {
      throw RequestException.invalid("target.hierarchy", String.format(
          "%s is in hierarchy '%s' (segment %04x), not in '%s'", t.getAddress(), h.name(),
          h.segment(), Requests.quote(t.getHierarchy())));
    }
  }

  /** The function answering at {@code text} now: NOT_FOUND when none does. */
  private PciFunction function(String field, String text) {
    PciAddress a = Requests.address(field, text);
    Hierarchy h = Requests.bySegment(farm, a.segment());
    PciFunction f = h.lookup(a);
    if (f == null) {
      throw RequestException.notFound("no function answers at " + a + " in hierarchy '"
          + h.name() + "'");
    }
    return f;
  }

  /**
   * The allowed methods: {@code methods} when given, else the alias, else the default (every
   * method but a power cycle, which must be asked for; a function's own reset_method list
   * restricts it further).
   */
  static Set<ResetMethod> allowed(List<Integer> methods, int alias) {
    if (!methods.isEmpty()) {
      Set<ResetMethod> out = EnumSet.noneOf(ResetMethod.class);
      for (int i = 0; i < methods.size(); i++) {
        out.add(method("methods[" + i + "]", methods.get(i)));
      }
      return out;
    }
    return switch (alias) {
      case 0 -> EnumSet.complementOf(EnumSet.of(ResetMethod.POWER_CYCLE));
      case 1 -> MethodSet.FUNC;
      case 2 -> MethodSet.LINK;
      case 3 -> MethodSet.ANY;
      default -> throw RequestException.invalid("alias", "alias " + alias
          + " is not RESET_METHOD_ALIAS_FUNC (1), _LINK (2) or _ANY (3)");
    };
  }

  static ResetMethod method(String field, int value) {
    io.pciefarm.proto.v1.ResetMethod m = io.pciefarm.proto.v1.ResetMethod.forNumber(value);
    if (m == null || m == io.pciefarm.proto.v1.ResetMethod.RESET_METHOD_UNSPECIFIED) {
      throw RequestException.invalid(field, field + " " + value + " is not a reset method: "
          + "RESET_METHOD_DEVICE_SPECIFIC (1) .. RESET_METHOD_POWER_CYCLE (7)");
    }
    return ResetMethod.valueOf(m.name().substring("RESET_METHOD_".length()));
  }

  /**
   * How long the engine may queue the request and wait for readiness: {@code wait_timeout},
   * capped by the call's deadline less a margin, or null for neither.
   */
  private static Duration deadline(ResetRequest request) {
    Duration wait = null;
    if (request.hasWaitTimeout()) {
      com.google.protobuf.Duration d = request.getWaitTimeout();
      if (d.getSeconds() < 0 || d.getNanos() < 0) {
        throw RequestException.invalid("wait_timeout", "wait_timeout " + d.getSeconds() + "s "
            + d.getNanos() + "ns is negative");
      }
      wait = Duration.ofSeconds(d.getSeconds(), d.getNanos());
    }
    Deadline call = Context.current().getDeadline();
    if (call != null) {
      long left = Math.max(0, call.timeRemaining(TimeUnit.NANOSECONDS));
      long margin = Math.min(left / 10, MAX_DEADLINE_MARGIN.toNanos());
      Duration bound = Duration.ofNanos(left - margin);
      if (wait == null || bound.compareTo(wait) < 0) {
        wait = bound;
      }
    }
    return wait;
  }

  private static io.pciefarm.reset.ResetRequest engineRequest(Target t, Set<ResetMethod> allowed,
      io.pciefarm.reset.ResetRequest.Mode mode, Duration deadline, boolean saveRestore,
      Authority caller) {
    return new io.pciefarm.reset.ResetRequest(t.target, allowed, mode, deadline, saveRestore,
        caller);
  }

  /**
   * What the target supports: a function's methods as Linux probes them; for a device, slot or
   * bus the methods a reset of it can use (each tried alone).
   */
  private static Set<ResetMethod> supported(Target t) {
    if (t.function != null) {
      return ResetSupport.supported(t.function);
    }
    Set<ResetMethod> out = EnumSet.noneOf(ResetMethod.class);
    for (ResetMethod m : ResetMethod.values()) {
      try {
        t.hierarchy.resets().probe(engineRequest(t, Set.of(m),
            io.pciefarm.reset.ResetRequest.Mode.WAIT, null, false, Owner.HOST));
        out.add(m);
      } catch (ResetException e) {
        // not this one
      }
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Engine results to messages

  private ResetResponse response(ResetPlan plan, List<String> warnings, List<String> notReady,
      long readyAfterNanos, boolean restored, long eventSequence) {
    ResetResponse.Builder b = ResetResponse.newBuilder()
        .setMethod(FunctionInfos.resetMethod(plan.method()))
        .addAllWarnings(warnings)
        .addAllNotReady(notReady)
        .setRestored(restored)
        .setEventSequence(eventSequence);
    for (io.pciefarm.reset.AffectedFunction a : inAddressOrder(plan.affected())) {
      b.addAffected(affected(a, false));
    }
    if (readyAfterNanos >= 0) {
      b.setReadyAfter(com.google.protobuf.Duration.newBuilder()
          .setSeconds(readyAfterNanos / 1_000_000_000L)
          .setNanos((int) (readyAfterNanos % 1_000_000_000L)));
    }
    return b.build();
  }

  private AffectedFunction affected(io.pciefarm.reset.AffectedFunction a, boolean blocking) {
    AffectedFunction.Builder b = AffectedFunction.newBuilder()
        .setAddress(a.address())
        .setIsolationGroup(a.group())
        .setBlocking(blocking)
        .setInUse(a.inUse());
    Owner o = a.owner();
    if (o.isHost()) {
      b.setOwner("host");
    } else {
      Lease lease = farm.leases().get(o.id());
      b.setLeaseId(o.id()).setOwner(o.isReleased() ? "released"
          : lease != null && !lease.holder().isEmpty() ? lease.holder() : o.tenant());
    }
    return b.build();
  }

  /** Reachable functions in address order, then the unreachable ones as the engine lists them. */
  private static List<io.pciefarm.reset.AffectedFunction> inAddressOrder(
      List<io.pciefarm.reset.AffectedFunction> affected) {
    List<io.pciefarm.reset.AffectedFunction> out = new ArrayList<>(affected);
    out.sort((x, y) -> {
      boolean xr = !x.address().contains("?");
      boolean yr = !y.address().contains("?");
      return xr && yr ? x.address().compareTo(y.address()) : Boolean.compare(yr, xr);
    });
    return out;
  }

  static ResetMethods methods(PciFunction f) {
    ResetMethods.Builder b = ResetMethods.newBuilder().setAddress(f.describe());
    for (ResetMethod m : ResetSupport.supported(f)) {
      b.addSupported(FunctionInfos.resetMethod(m));
    }
    for (ResetMethod m : f.resetMethods()) {
      b.addEnabled(FunctionInfos.resetMethod(m));
    }
    return b.build();
  }
}
