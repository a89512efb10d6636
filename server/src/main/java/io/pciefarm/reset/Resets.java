package io.pciefarm.reset;

import io.pciefarm.reset.ResetException.Kind;
import io.pciefarm.reset.ResetPlanner.Decision;
import io.pciefarm.spec.AdvancedFeatures;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.PowerManagement;
import io.pciefarm.spec.Type1;
import io.pciefarm.time.FarmClock;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciFunction;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Reset requests for one hierarchy: probe, and reset in one call.
 *
 * <h2>Ordering</h2>
 * Each request holds its affected set (plus the functions it acts through) from start to
 * finish. Requests whose sets overlap never interleave: a TRY request fails at once with
 * {@link Kind#BUSY} when an overlapping request is running or queued; a WAIT request queues
 * behind every earlier overlapping request, in arrival order, until its deadline. Requests
 * with disjoint sets run in parallel. The queue's lock is held only to decide, never while a
 * reset runs; config accesses never take it.
 *
 * <h2>Time</h2>
 * A reset is a chain of steps scheduled on the farm clock (assert, hold, release, wait for
 * readiness, restore): no thread waits for one, so any number can be in flight.
 */
public final class Resets {
  /** How long the farm waits for functions to become ready (Linux: 60 s, then gives up). */
  public static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
  /** Readiness is checked again after this long while some function's end is unknown. */
  static final Duration POLL = Duration.ofMillis(5);
  /** PM reset: time in D3hot before returning to D0 (Linux's pci_pm_reset waits 10 ms). */
  static final Duration D3HOT_DWELL = Duration.ofMillis(10);

  private final Hierarchy hierarchy;
  private final Deque<Job> pending = new ArrayDeque<>();
  private final List<Job> running = new ArrayList<>();
  private final BitSet held = new BitSet();
  private long started;
  private long finished;

  public Resets(Hierarchy hierarchy) {
    this.hierarchy = hierarchy;
  }

  /**
   * What {@code request} would do: the method and every function it reaches, with groups and
   * owners. Changes nothing; ownership is not checked (a probe is how a caller learns whom it
   * would need to own).
   *
   * @throws ResetException BAD_TARGET, ROOT_BUS or NO_METHOD
   */
  public ResetPlan probe(ResetRequest request) {
    return ResetPlanner.report(hierarchy, ResetPlanner.decide(hierarchy, request));
  }

  /**
   * Carries out {@code request}. Refusals (bad target, no method, not owner, busy) throw at
   * once and touch nothing; otherwise the returned future completes when the reset is done and
   * the affected functions are ready, or the farm stopped waiting for some of them (listed in
   * {@link ResetResult#notReady()}). A WAIT request that cannot start before its deadline
   * completes exceptionally with DEADLINE_EXCEEDED.
   */
  public CompletableFuture<ResetResult> reset(ResetRequest request) {
    return reset(request, Progress.NONE);
  }

  /**
   * Hears how one request gets on, for callers that answer before the reset is over (a gRPC
   * Reset without {@code wait_ready}). Each method runs at most once, on whatever thread runs
   * the step (the caller's, or the farm clock's), and must not block.
   */
  public interface Progress {
    Progress NONE = new Progress() {};

    /** The request holds its functions now and its first step runs next. */
    default void started() {}

    /**
     * Every step of the reset itself is done (the FLR written, the bus reset released, power
     * back on); what is left is waiting for the functions to become ready again.
     */
    default void issued(Issued issued) {}
  }

  /**
   * A reset whose steps are done.
   *
   * @param plan the method used and the functions reached
   * @param warnings things the caller should know (functions that were in use)
   * @param notReady the functions not ready yet
   * @param readyInNanos farm time until the last of them is due to be ready: 0 when all are,
   *     -1 when some function's time is not known yet (its link still trains, or it may never
   *     come back)
   */
  public record Issued(ResetPlan plan, List<String> warnings, List<String> notReady,
      long readyInNanos) {
    public Issued {
      warnings = List.copyOf(warnings);
      notReady = List.copyOf(notReady);
    }
  }

  /**
   * {@link #reset(ResetRequest)}, telling {@code progress} when the request starts and when the
   * reset is issued. Cancelling the returned future withdraws the request if it is still
   * queued (nothing is reset then); a reset already started runs to its end.
   */
  public CompletableFuture<ResetResult> reset(ResetRequest request, Progress progress) {
    Decision d;
    for (int attempt = 0; ; attempt++) {
      long finishedBefore = finishedCount();
      try {
        d = ResetPlanner.decide(hierarchy, request);
        break;
      } catch (ResetException e) {
        if (e.kind() != Kind.BAD_TARGET) {
          throw e;
        }
        Job hider = hiding(request.target());
        if (hider != null) {
          return behind(hider, request, progress);
        }
        // The reset that hid the target may have finished between the plan and the look at
        // what runs: plan again (a few times at most) before calling the target missing.
        if (attempt >= 3 || finishedCount() == finishedBefore) {
          throw e;
        }
      }
    }
    ResetPlanner.checkOwnership(d, request.caller());
    Job job = new Job(request, d, ResetPlanner.report(hierarchy, d),
        progress == null ? Progress.NONE : progress);
    FarmClock clock = hierarchy.timeBase().clock();
    List<Job> toStart;
    synchronized (this) {
      if (request.mode() == ResetRequest.Mode.TRY && conflicts(job)) {
        throw new ResetException(Kind.BUSY, "busy: another reset holds functions this "
            + d.method().sysfsName() + " reset would reach; try again");
      }
      pending.addLast(job);
      toStart = dispatchLocked();
    }
    if (request.deadline() != null && !toStart.contains(job)) {
      job.queueTimer = clock.schedule(request.deadline().toNanos(), () -> expire(job));
    }
    toStart.forEach(Job::start);
    return job.future;
  }

  /**
   * The running bus, slot or power reset whose bridge's window (as it was when the reset
   * started) holds the bus {@code target} names, or null. While such a reset runs, the bridges
   * below it have lost their bus numbers and nothing routes to the target: it is not missing,
   * it is busy, as a device under a bus being reset is in Linux (its device lock is held).
   */
  private synchronized Job hiding(ResetTarget target) {
    int bus;
    if (target instanceof ResetTarget.Function t) {
      bus = t.address().bus();
    } else if (target instanceof ResetTarget.Device t) {
      bus = t.address().bus();
    } else if (target instanceof ResetTarget.Bus t) {
      bus = t.number();
    } else {
      return null;
    }
    for (Job j : running) {
      if (j.windowLo > 0 && j.windowLo <= bus && bus <= j.windowHi) {
        return j;
      }
    }
    return null;
  }

  /**
   * A request whose target a running reset hides: TRY is busy; WAIT plans again once that reset
   * is over (its saved bus numbers are back, or the target is gone for good and the new plan
   * says so), within what is left of its deadline. Cancelling the result before then plans
   * nothing.
   */
  private CompletableFuture<ResetResult> behind(Job hider, ResetRequest request,
      Progress progress) {
    String what = hider.decision.method().sysfsName() + " reset of "
        + hider.decision.bridge().describe();
    if (request.mode() == ResetRequest.Mode.TRY) {
      throw new ResetException(Kind.BUSY, "busy: " + request.target() + " is below a running "
          + what + " and unreachable until it ends; try again");
    }
    FarmClock clock = hierarchy.timeBase().clock();
    long since = clock.nanoTime();
    // Like a queued job: withdrawn until the new plan's reset starts, not after.
    WithdrawableFuture<ResetResult> out = new WithdrawableFuture<>();
    if (request.deadline() != null) {
      FarmClock.Cancellable timer = clock.schedule(request.deadline().toNanos(),
          () -> out.completeExceptionally(new ResetException(Kind.DEADLINE_EXCEEDED, "the reset"
              + " could not start within its " + request.deadline().toMillis() + " ms deadline: "
              + request.target() + " was below a running " + what)));
      out.whenComplete((r, e) -> timer.cancel());
    }
    hider.future.whenComplete((ignored, failure) -> {
      if (out.isDone()) {
        return; // the caller gave up, or the deadline passed, meanwhile
      }
      ResetRequest again = request;
      if (request.deadline() != null) {
        long left = Math.max(1, request.deadline().toNanos() - (clock.nanoTime() - since));
        again = new ResetRequest(request.target(), request.allowed(), request.mode(),
            Duration.ofNanos(left), request.saveRestore(), request.caller());
      }
      try {
        CompletableFuture<ResetResult> next = reset(again, progress);
        out.cancelsWith(next);
        out.whenComplete((r, e) -> {
          if (e != null) {
            next.cancel(false); // given up or timed out: withdraw it if it is still queued
          }
        });
        next.whenComplete((r, e) -> {
          if (e == null) {
            out.complete(r);
          } else {
            out.completeExceptionally(e instanceof java.util.concurrent.CompletionException
                && e.getCause() != null ? e.getCause() : e);
          }
        });
      } catch (RuntimeException e) {
        out.completeExceptionally(e);
      }
    });
    return out;
  }

  /**
   * Takes a request out of the queue, if it is still there.
   *
   * @return false when it had started (or ended) already: it runs to its end
   */
  private boolean withdraw(Job job) {
    List<Job> toStart;
    synchronized (this) {
      if (!pending.remove(job)) {
        return false;
      }
      toStart = dispatchLocked();
    }
    FarmClock.Cancellable t = job.queueTimer;
    if (t != null) {
      t.cancel();
    }
    toStart.forEach(Job::start);
    return true;
  }

  private synchronized long finishedCount() {
    return finished;
  }

  /** Resets started and finished so far, and requests queued and running now. */
  public synchronized Stats stats() {
    return new Stats(started, finished, pending.size(), running.size());
  }

  /** Counters for consistency checks after load. */
  public record Stats(long started, long finished, int queued, int running) {}

  private boolean conflicts(Job job) {
    if (job.set.intersects(held)) {
      return true;
    }
    for (Job p : pending) {
      if (p.set.intersects(job.set)) {
        return true;
      }
    }
    return false;
  }

  /** Picks queued jobs that may start: none overlaps a running or an earlier queued job. */
  private List<Job> dispatchLocked() {
    List<Job> out = new ArrayList<>();
    BitSet blocked = (BitSet) held.clone();
    for (var it = pending.iterator(); it.hasNext(); ) {
      Job j = it.next();
      if (j.set.intersects(blocked)) {
        blocked.or(j.set);
        continue;
      }
      it.remove();
      running.add(j);
      held.or(j.set);
      blocked.or(j.set);
      started++;
      out.add(j);
    }
    return out;
  }

  private void expire(Job job) {
    boolean removed;
    synchronized (this) {
      removed = pending.remove(job);
    }
    if (removed) {
      job.future.completeExceptionally(new ResetException(Kind.DEADLINE_EXCEEDED,
          "the reset could not start within its " + job.request.deadline().toMillis()
              + " ms deadline: overlapping resets held its functions"));
    }
  }

  /** Releases {@code job}'s functions, starts what was waiting for them, then completes it. */
  private void finish(Job job, ResetResult result, Throwable failure) {
    List<Job> toStart;
    synchronized (this) {
      if (!running.remove(job)) {
        return; // already finished
      }
      held.andNot(job.set);
      finished++;
      toStart = dispatchLocked();
    }
    if (failure != null) {
      job.future.completeExceptionally(failure);
    } else {
      job.future.complete(result);
    }
    toStart.forEach(Job::start);
  }

  /** One request in flight: a chain of scheduled steps. */
  private final class Job {
    final ResetRequest request;
    final Decision decision;
    final ResetPlan plan;
    final BitSet set = new BitSet();
    /**
     * Cancelling it withdraws the request while it is queued, and does nothing (returns false)
     * once it started: a started reset runs to its end and its outcome stands, so a retry with
     * the same request id is answered with it instead of resetting again.
     */
    final WithdrawableFuture<ResetResult> future = new WithdrawableFuture<>();

    {
      future.withdrawBy(() -> withdraw(this));
    }
    final Progress progress;
    final List<String> warnings = new ArrayList<>();
    /** Saved state not yet restored; touched only by this job's steps, one at a time. */
    final Map<PciFunction, ConfigState> saved = new IdentityHashMap<>();
    volatile FarmClock.Cancellable queueTimer;
    /** The bus numbers below {@link Decision#bridge} when the reset started; 0 for none. */
    volatile int windowLo;
    volatile int windowHi;
    long giveUpAt;
    /** Why functions still not ready at {@link #giveUpAt} failed their reset. */
    String giveUpReason;
    int savedSlotControl;
    /** Whether {@link Progress#issued} was called; touched only by this job's steps. */
    boolean issued;
    /**
     * The resets this job's own steps began (its register writes, its slot's power): the only
     * ones it may fail when it stops waiting. Touched only by this job's steps.
     */
    final List<PciFunction.ResetInProgress> begun = new ArrayList<>();

    Job(ResetRequest request, Decision decision, ResetPlan plan, Progress progress) {
      this.request = request;
      this.decision = decision;
      this.plan = plan;
      this.progress = progress;
      decision.affected().forEach(f -> set.set(f.index()));
      decision.targets().forEach(f -> set.set(f.index()));
      if (decision.bridge() != null) {
        set.set(decision.bridge().index());
      }
      for (AffectedFunction a : plan.affected()) {
        if (!a.inUse().isEmpty()) {
          warnings.add(a.address() + " is in use: " + a.inUse());
        }
      }
    }

    private FarmClock clock() {
      return hierarchy.timeBase().clock();
    }

    void start() {
      FarmClock.Cancellable t = queueTimer;
      if (t != null) {
        t.cancel();
      }
      step(() -> {
        long now = clock().nanoTime();
        long timeout = hierarchy.scaledNanos(READY_TIMEOUT);
        boolean byDeadline = request.deadline() != null
            && request.deadline().toNanos() < timeout;
        giveUpAt = now + (byDeadline ? request.deadline().toNanos() : timeout);
        giveUpReason = byDeadline ? "not ready within the request's deadline of "
            + request.deadline().toMillis() + " ms; the farm stopped waiting"
            : "not ready within " + READY_TIMEOUT.toSeconds() + " s (farm time); the farm"
            + " stopped waiting, as Linux does";
        progress.started();
        PciFunction bridge = decision.bridge();
        if (bridge != null) {
          windowHi = bridge.subordinateBusNumber();
          windowLo = bridge.secondaryBusNumber(); // last: hiding() reads it first
        }
        if (request.saveRestore()) {
          for (PciFunction f : decision.affected()) {
            saved.put(f, ConfigState.save(f.config()));
          }
        }
        perform();
      });
    }

    /**
     * Runs one step of this job: the resets it begins are recorded as this job's, and a
     * failure fails the request.
     */
    private void step(Runnable body) {
      try {
        hierarchy.resetEngine().recording(begun, body);
      } catch (RuntimeException e) {
        fail(e);
      }
    }

    /** Starts the method; each path ends in {@link #awaitReady}. */
    private void perform() {
      ResetMethod m = decision.method();
      ResetEngine engine = hierarchy.resetEngine();
      switch (m) {
        case DEVICE_SPECIFIC -> {
          decision.targets().forEach(f -> engine.functionReset(f, ResetMethod.DEVICE_SPECIFIC));
          awaitReady();
        }
        case FLR -> {
          for (PciFunction f : decision.targets()) {
            int devctl = f.model().layout().capability(CapabilityId.EXP) + PciExpress.DEVICE_CONTROL;
            f.config().write(devctl, 2, f.config().read(devctl, 2) | PciExpress.DEVCTL_BCR_FLR);
          }
          awaitReady();
        }
        case AF_FLR -> {
          for (PciFunction f : decision.targets()) {
            int ctl = f.model().layout().capability(CapabilityId.AF) + AdvancedFeatures.CONTROL;
            f.config().write(ctl, 1, AdvancedFeatures.CONTROL_INITIATE_FLR);
          }
          awaitReady();
        }
        case PM -> {
          for (PciFunction f : decision.targets()) {
            setPowerState(f, PowerManagement.PMCSR_D3HOT);
          }
          after(D3HOT_DWELL, () -> {
            for (PciFunction f : decision.targets()) {
              setPowerState(f, PowerManagement.PMCSR_D0);
            }
            awaitReady();
          });
        }
        case BUS -> secondaryBusReset(this::awaitReady);
        case SLOT -> withSlotEventsMasked(this::secondaryBusReset);
        case POWER_CYCLE -> {
          if (decision.bridge().slot() != null) {
            withSlotEventsMasked(this::slotPowerCycle);
          } else {
            engine.powerCycle(decision.bridge());
            after(ResetEngine.POWER_OFF_TIME, this::awaitReady);
          }
        }
      }
    }

    private void setPowerState(PciFunction f, int state) {
      int pmcsr = f.model().layout().capability(CapabilityId.PM) + PowerManagement.PMCSR;
      int v = f.config().read(pmcsr, 2);
      // Write back without the RW1C PME_Status bit so the transition does not clear it.
      f.config().write(pmcsr, 2, (v & ~PowerManagement.PMCSR_STATE_MASK
          & ~PowerManagement.PMCSR_PME_STATUS) | state);
    }

    /** Bridge Control bit 6 set, held, cleared: Linux's pci_reset_secondary_bus. */
    private void secondaryBusReset(Runnable then) {
      PciFunction bridge = decision.bridge();
      int bc = bridge.config().read(Type1.BRIDGE_CONTROL, 2);
      bridge.config().write(Type1.BRIDGE_CONTROL, 2, bc | Type1.BRIDGE_CTL_BUS_RESET);
      after(ResetEngine.SECONDARY_RESET_HOLD, () -> {
        int now = bridge.config().read(Type1.BRIDGE_CONTROL, 2);
        bridge.config().write(Type1.BRIDGE_CONTROL, 2, now & ~Type1.BRIDGE_CTL_BUS_RESET);
        then.run();
      });
    }

    /**
     * Runs {@code reset} on the slot the way pciehp's reset_slot brackets its bus reset: mask
     * Presence Detect and DLL State Changed, reset, wait for the card, clear what the reset
     * raised, unmask. Nothing below looks removed, whatever the reset did to the link.
     *
     * <p>pciehp leaves PDCE alone on a slot with an attention button, whose presence detect it
     * takes to be out of band; the farm's presence detect drops during a bus reset on every
     * slot (as in-band detection does), so both are masked. A slot that is not hot-plug capable
     * has neither event to mask.
     */
    private void withSlotEventsMasked(java.util.function.Consumer<Runnable> reset) {
      PciFunction port = decision.bridge();
      int exp = port.model().layout().capability(CapabilityId.EXP);
      int sltctl = exp + PciExpress.SLOT_CONTROL;
      boolean hotPlug = (port.config().read(exp + PciExpress.SLOT_CAPABILITIES, 4)
          & PciExpress.SLTCAP_HPC) != 0;
      if (!hotPlug) {
        reset.accept(this::awaitReady);
        return;
      }
      int mask = PciExpress.SLTCTL_PDCE | PciExpress.SLTCTL_DLLSCE;
      savedSlotControl = port.config().read(sltctl, 2);
      port.config().write(sltctl, 2, savedSlotControl & ~mask);
      reset.accept(() -> awaitReady(() -> {
        port.config().write(exp + PciExpress.SLOT_STATUS, 2,
            PciExpress.SLTSTA_PDC | PciExpress.SLTSTA_DLLSC);
        port.config().write(sltctl, 2, (port.config().read(sltctl, 2) & ~mask)
            | (savedSlotControl & mask));
      }));
    }

    /**
     * Cuts the slot's supply for {@link ResetEngine#POWER_OFF_TIME} and restores it, as a BMC
     * does, whatever Slot Control asks: the card goes cold and the slot controller reports the
     * power going and coming back. A slot software keeps off stays off.
     */
    private void slotPowerCycle(Runnable then) {
      PciFunction port = decision.bridge();
      port.slot().supplyCut(true);
      after(ResetEngine.POWER_OFF_TIME, () -> {
        port.slot().supplyCut(false);
        then.run();
      });
    }

    private void awaitReady() {
      awaitReady(() -> {});
    }

    /**
   * Checks readiness at the next time something can change, restoring saved state of functions
   * that are back, until all are ready or time is up.
   */
    private void awaitReady(Runnable beforeFinish) {
      if (!saved.isEmpty()) {
        // One routing publish for the whole restore, not one per bridge's bus numbers.
        hierarchy.coalesceRoutingChanges(this::restoreSettled);
      }
      long now = clock().nanoTime();
      long next = Long.MAX_VALUE;
      boolean unknown = false;
      List<PciFunction> waiting = new ArrayList<>();
      List<PciFunction> gone = null;
      for (PciFunction f : decision.affected()) {
        // Wait for the settle step itself, not just its time: the next reset of this function
        // must not start before the engine has reported this one finished.
        if (f.settled()) {
          continue; // back, and restored above
        }
        if (!f.onBus()) {
          // Its card was pulled (the unplug ended its reset as failed): it will never be back.
          // Waiting for it would hold the request, and its port, until the timeout.
          gone = gone == null ? new ArrayList<>() : gone;
          gone.add(f);
          continue;
        }
        waiting.add(f);
        if (f.neverReady()) {
          unknown = true;
        } else {
          next = Math.min(next, f.readyAt());
        }
      }
      if (!issued) {
        issued = true;
        progress.issued(new Issued(plan, warnings,
            waiting.stream().map(PciFunction::describe).toList(),
            waiting.isEmpty() ? 0 : unknown ? -1 : Math.max(0, next - now)));
      }
      if (waiting.isEmpty() || now - giveUpAt >= 0) {
        failOwnResets(waiting);
        if (gone != null) {
          waiting.addAll(gone); // not ready either: reported with the late ones
        }
        complete(waiting, beforeFinish);
        return;
      }
      long at = unknown ? now + Math.max(hierarchy.scaledNanos(POLL), 1_000L) : next;
      at = Math.max(Math.min(at, giveUpAt), now + 1_000L);
      clock().schedule(at - now, () -> step(() -> awaitReady(beforeFinish)));
    }

    /**
     * The request stops waiting for {@code late}: each reset this job began on one of them
     * ends as failed, unless it ended already. A newer reset that took over from the job's
     * (an FLR a client wrote, slot power software turned off) is not the job's to end: it
     * ends on its own.
     */
    private void failOwnResets(List<PciFunction> late) {
      if (late.isEmpty()) {
        return;
      }
      java.util.Set<PciFunction> lateSet =
          java.util.Collections.newSetFromMap(new IdentityHashMap<>());
      lateSet.addAll(late);
      ResetEngine engine = hierarchy.resetEngine();
      for (PciFunction.ResetInProgress r : begun) {
        if (lateSet.contains(r.function())) {
          engine.endFailed(r, giveUpReason);
        }
      }
    }

    /**
     * Restores the saved state of every function that is back, as soon as it is back, parents
     * first (affected is depth-first): a port's restored Slot Control may be what powers the
     * card below it, which then settles within this same pass.
     */
    private void restoreSettled() {
      for (PciFunction f : decision.affected()) {
        if (f.settled()) {
          ConfigState state = saved.remove(f);
          if (state != null) {
            state.restore(f.config());
          }
        }
      }
    }

    private void complete(List<PciFunction> notReady, Runnable beforeFinish) {
      try {
        beforeFinish.run();
        finish(this, new ResetResult(plan, warnings,
            notReady.stream().map(PciFunction::describe).toList(), request.saveRestore()), null);
      } catch (RuntimeException e) {
        fail(e);
      }
    }

    private void fail(RuntimeException e) {
      finish(this, null, e);
    }

    private void after(Duration d, Runnable body) {
      clock().schedule(hierarchy.scaledNanos(d), () -> step(body));
    }
  }
}
