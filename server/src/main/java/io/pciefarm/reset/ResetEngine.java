package io.pciefarm.reset;

import io.pciefarm.device.FunctionModel;
import io.pciefarm.device.Quirk;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.time.FarmClock;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciFunction;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * What each reset does to the emulated hardware, whoever starts it: a client writing the
 * registers as an OS does, or the farm carrying out a reset request. Every wait is scheduled on
 * the farm clock, scaled by the time scales; no thread waits.
 *
 * <ul>
 *   <li><b>Function resets</b> (FLR, AF FLR, device-specific, PM): the function's registers
 *       return to their defaults except sticky bits, and it answers Retry Status until its
 *       model's delay has passed. Quirks act here: a PM reset that does nothing, a function that
 *       never becomes ready after FLR.
 *   <li><b>Secondary bus reset</b>: while Bridge Control bit 6 is set the link is down and the
 *       subtree answers nothing; on release every function below is reset (sticky bits kept,
 *       except functions with {@link Quirk#NO_BUS_RESET}, which ignore it), links retrain
 *       (Data Link Layer Link Active drops and returns), and functions answer Retry Status
 *       until link training plus their reset delay has passed.
 *   <li><b>Power cycle</b>: like a bus reset, but cold: sticky bits are cleared too.
 * </ul>
 * A port with a hot-plug slot that is reset itself keeps what is physical about the slot and
 * powers the slot as its reset Slot Control says ({@link
 * io.pciefarm.topology.SlotHardware#portReset}): a port with a power controller comes back with
 * the slot off.
 *
 * <h2>What it reports</h2>
 * To its {@link ResetObserver}: every reset of a function starts once and ends once, finished
 * (ready again, or superseded by a newer reset first) or failed (a device that never comes
 * back, a requester that stopped waiting for a reset it started: {@link #endFailed}, a card
 * pulled: {@link #removed}); the end of each post-reset readiness wait, as it happens on the
 * farm clock; every link change. Routing and group changes go to the hierarchy, which reports
 * them. Each reset is a {@link PciFunction.ResetInProgress} token, and only its holder ends it:
 * the settle step and failure timer the engine schedules for it, and whoever started it,
 * which learns of it through {@link #recording}.
 */
public final class ResetEngine {
  /** Link training after a link reset, before the device below can be reached. */
  public static final Duration LINK_TRAINING = Duration.ofMillis(20);
  /** How long a bus reset is held asserted: Linux's pci_reset_secondary_bus holds 2 ms. */
  public static final Duration SECONDARY_RESET_HOLD = Duration.ofMillis(2);
  /** How long slot power stays off in a power cycle. */
  public static final Duration POWER_OFF_TIME = Duration.ofMillis(100);

  private final Hierarchy hierarchy;
  private volatile ResetObserver observer = ResetObserver.NONE;
  /** Numbers resets; drawn under the function's lock, so each function's in start order. */
  private final LongSupplier resetIds = new AtomicLong()::incrementAndGet;
  /** Where the resets begun by the current thread's step go, if it asked: {@link #recording}. */
  private final ThreadLocal<List<PciFunction.ResetInProgress>> begunHere = new ThreadLocal<>();

  public ResetEngine(Hierarchy hierarchy) {
    this.hierarchy = hierarchy;
  }

  public void observer(ResetObserver observer) {
    this.observer = observer == null ? ResetObserver.NONE : observer;
  }

  ResetObserver observer() {
    return observer;
  }

  private FarmClock clock() {
    return hierarchy.timeBase().clock();
  }

  /**
   * Resets one function by a function-level method. The registers change at once; readiness
   * follows the model's delay.
   */
  public void functionReset(PciFunction f, ResetMethod method) {
    FunctionModel m = f.model();
    PciFunction.ResetInProgress r = begin(f, method);
    if (r == null) {
      return; // the card was pulled: nothing left to reset
    }
    boolean noEffect = method == ResetMethod.PM && m.has(Quirk.PM_RESET_NO_EFFECT);
    if (!noEffect) {
      f.config().reset(true);
      if (f.slot() != null) {
        f.slot().portReset(false);
      }
      if (hasAcs(f)) {
        // ACS Control is back to its default. Only ACS can regroup on a function reset: most
        // are FLRs of endpoints written on the config path, which should not pay a regroup.
        hierarchy.groupsChanged(f);
      }
    }
    if (method == ResetMethod.PM) {
      settle(r, m.d3hotDelay());
    } else if (m.has(Quirk.NEVER_READY_AFTER_FLR)) {
      // Held in Retry Status until a bus or cold reset. When a working device would have been
      // ready, this one is not: the reset has failed.
      Duration due = m.flrReadyDelay();
      clock().schedule(hierarchy.scaledNanos(due), () -> endFailed(r, "not ready "
          + due.toMillis() + " ms after " + method.sysfsName() + ": the device never comes back"
          + " from it (quirk NEVER_READY_AFTER_FLR); only a bus or cold reset recovers it"));
    } else {
      settle(r, m.flrReadyDelay());
    }
  }

  /**
   * Runs {@code step}, adding to {@code begun} every reset it begins on this thread (register
   * writes included), so that whoever runs the step can later end exactly those: {@link
   * #endFailed}. Steps may nest; each reset goes to the innermost.
   */
  public void recording(List<PciFunction.ResetInProgress> begun, Runnable step) {
    List<PciFunction.ResetInProgress> outer = begunHere.get();
    begunHere.set(begun);
    try {
      step.run();
    } finally {
      if (outer == null) {
        begunHere.remove();
      } else {
        begunHere.set(outer);
      }
    }
  }

  /**
   * Ends {@code r} as failed, unless it ended already (finished, superseded by a newer reset,
   * or failed): its holder (the request that started it) stopped waiting, and nothing will
   * report it finished. The function keeps answering Retry Status until its own time, and
   * {@link ResetObserver#ready} still follows if it comes back.
   *
   * @return true when this call ended it
   */
  public boolean endFailed(PciFunction.ResetInProgress r, String reason) {
    return r.function().endFailed(r, reason, observer);
  }

  /**
   * The card these functions belong to was pulled: resets in progress on them (the cold reset
   * of a slot powered off for removal, or any other) end as failed, and none of them settles.
   */
  public void removed(List<PciFunction> gone) {
    for (PciFunction f : gone) {
      f.unplugged("the card was removed before the function was ready again", observer);
    }
  }

  /**
   * The link below {@code port} is gone without a reset: the card below was pulled out of its
   * slot. Data Link Layer Link Active drops and the change is reported as every other link
   * change is (a LINK_DOWN event).
   */
  public void linkLost(PciFunction port) {
    if (port.linkUp()) {
      port.linkUp(false);
      observer.linkChanged(port, false);
      hierarchy.routingChanged(port);
    }
  }

  /** Bridge Control bit 6 rose: the link below goes down and the subtree stops answering. */
  public void secondaryResetAsserted(PciFunction bridge) {
    if (bridge.slot() != null) {
      bridge.slot().secondaryResetAsserted();
    }
    if (bridge.hasLinkBelow() && bridge.linkUp()) {
      bridge.linkUp(false);
      observer.linkChanged(bridge, false);
    }
    hierarchy.routingChanged(bridge);
  }

  /** Bridge Control bit 6 fell: reset everything below, then retrain and settle. */
  public void secondaryResetDeasserted(PciFunction bridge) {
    resetBelow(bridge);
  }

  /**
   * Cuts and restores power below a port: a cold reset of everything below it. The link is down
   * for {@link #POWER_OFF_TIME}, then trains.
   */
  public void powerCycle(PciFunction port) {
    powerOff(port);
    clock().schedule(hierarchy.scaledNanos(POWER_OFF_TIME), () -> powerOn(port));
  }

  /**
   * Power below {@code port} is gone: the link drops and every function below loses its state
   * (a cold reset that completes only when power returns).
   */
  public void powerOff(PciFunction port) {
    if (port.hasLinkBelow() && port.linkUp()) {
      port.linkUp(false);
      observer.linkChanged(port, false);
    }
    Aftermath after = new Aftermath();
    for (PciFunction f : hierarchy.subtree(port)) {
      begin(f, ResetMethod.POWER_CYCLE);
      f.config().reset(false);
      if (f.hasLinkBelow() && f.linkUp()) {
        f.linkUp(false);
        observer.linkChanged(f, false);
      }
      after.reset(f);
    }
    hierarchy.routingChanged(port);
    after.regroup(port);
    after.resetSlotPorts(true);
  }

  /** Power below {@code port} is back: the link trains and the functions settle from cold. */
  public void powerOn(PciFunction port) {
    Aftermath after = new Aftermath();
    for (PciFunction f : hierarchy.subtree(port)) {
      if (beginIfIdle(f, ResetMethod.POWER_CYCLE) != null) {
        f.config().reset(false);
        after.reset(f);
      }
    }
    after.resetSlotPorts(true);
    after.regroup(port);
    trainLink(port, ResetMethod.POWER_CYCLE);
  }

  /**
   * A hot reset of everything below {@code bridge}: registers to defaults with sticky bits kept
   * (functions with NO_BUS_RESET ignore it), every link in the subtree down, then link training
   * and readiness scheduled.
   */
  private void resetBelow(PciFunction bridge) {
    Aftermath after = new Aftermath();
    for (PciFunction f : hierarchy.subtree(bridge)) {
      if (f.model().has(Quirk.NO_BUS_RESET)) {
        continue;
      }
      begin(f, ResetMethod.BUS);
      f.config().reset(true);
      if (f.hasLinkBelow() && f.linkUp()) {
        f.linkUp(false);
        observer.linkChanged(f, false);
      }
      after.reset(f);
    }
    hierarchy.routingChanged(bridge);
    after.regroup(bridge);
    after.resetSlotPorts(false);
    if (bridge.hasLinkBelow()) {
      trainLink(bridge, ResetMethod.BUS);
    } else {
      // A conventional bus has no link: its devices settle from the end of the reset.
      for (PciFunction f : bridge.secondary().functions()) {
        settleAfterLinkReset(f, ResetMethod.BUS);
      }
    }
  }

  /**
   * Whether resetting {@code f} can regroup: groups follow the topology, which no reset changes,
   * and ACS Control, which a reset returns to its default. A reset that reaches no ACS
   * capability skips the O(functions) regroup.
   */
  private static boolean hasAcs(PciFunction f) {
    return f.model().layout().extendedCapability(CapabilityId.EXT_ACS) >= 0;
  }

  /**
   * What resetting the functions of one subtree leaves to do once they are all reset: tell the
   * hot-plug controllers of the slot ports among them (a slot's physical state, presence, latch
   * and interlock, survives a reset of its port, and slot power follows the reset Slot Control,
   * so a warm reset that turns a powered slot off cuts the card's power too), and regroup if the
   * reset reached an ACS capability.
   */
  private final class Aftermath {
    private List<PciFunction> slotPorts;
    private boolean acs;

    /** {@code f}'s registers were reset. */
    void reset(PciFunction f) {
      if (f.slot() != null) {
        if (slotPorts == null) {
          slotPorts = new java.util.ArrayList<>();
        }
        slotPorts.add(f);
      }
      acs |= hasAcs(f);
    }

    /** Reports the groups changed, with {@code cause}, if an ACS Control went back to default. */
    void regroup(PciFunction cause) {
      if (acs) {
        hierarchy.groupsChanged(cause);
      }
    }

    void resetSlotPorts(boolean cold) {
      if (slotPorts != null) {
        for (PciFunction p : slotPorts) {
          p.slot().portReset(cold);
        }
      }
    }
  }

  /**
   * Trains the link below {@code port} if a device can answer there. Once it is up, every link
   * further down that can train comes up in the same step (they retrain together, as the
   * switch below comes out of reset), routing is republished once for the whole subtree, and
   * the functions below settle.
   */
  private void trainLink(PciFunction port, ResetMethod method) {
    if (!port.linkPossible()) {
      return; // no card, no power, or an open latch: the link stays down
    }
    long training = hierarchy.scaledNanos(LINK_TRAINING);
    clock().schedule(training, () -> {
      if (port.secondaryResetAsserted() || port.linkUp() || !port.linkPossible()) {
        return; // reset again meanwhile, already up, or the card went away
      }
      List<PciFunction> raised = new java.util.ArrayList<>();
      raiseLinks(port, raised);
      hierarchy.routingChanged(port);
      for (PciFunction p : raised) {
        observer.linkChanged(p, true);
      }
      for (PciFunction f : port.secondary().functions()) {
        settleAfterLinkReset(f, method);
      }
    });
  }

  private static void raiseLinks(PciFunction port, List<PciFunction> raised) {
    if (port.secondaryResetAsserted() || port.linkUp() || !port.linkPossible()) {
      return;
    }
    port.linkUp(true);
    raised.add(port);
    raiseBelow(port.secondary(), raised);
  }

  /** Links of the ports on {@code bus} and below it, through bridges without links. */
  private static void raiseBelow(io.pciefarm.topology.Bus bus, List<PciFunction> raised) {
    for (PciFunction f : bus.functions()) {
      if (!f.isBridge()) {
        continue;
      }
      if (f.hasLinkBelow()) {
        raiseLinks(f, raised);
      } else {
        raiseBelow(f.secondary(), raised);
      }
    }
  }

  private void settleAfterLinkReset(PciFunction f, ResetMethod method) {
    if (f.model().has(Quirk.NO_BUS_RESET) && method == ResetMethod.BUS) {
      return; // ignored the reset: never left its state
    }
    // The reset whose link this was: the one still holding the function with no ready time.
    PciFunction.ResetInProgress r = f.latestReset();
    if (r != null) {
      settle(r, f.model().resetReadyDelay());
    }
    if (!f.isBridge()) {
      return;
    }
    if (f.hasLinkBelow() && !f.linkUp()) {
      trainLink(f, method); // reached through a bridge with no link of its own
    } else {
      for (PciFunction below : f.secondary().functions()) {
        settleAfterLinkReset(below, method);
      }
    }
  }

  /**
   * Starts a reset of {@code f}: it answers Retry Status from now on. A reset still in progress
   * (one whose requester stopped waiting for it) is superseded and reported finished first, so
   * every start has exactly one end. The caller resets the registers, then tells the hierarchy
   * its groups may have changed (a reset returns ACS Control to its default without a write).
   */
  private PciFunction.ResetInProgress begin(PciFunction f, ResetMethod method) {
    return recorded(f.beginReset(method, resetIds, observer));
  }

  /** {@link #begin}, unless a reset of {@code f} is in progress: then null. */
  private PciFunction.ResetInProgress beginIfIdle(PciFunction f, ResetMethod method) {
    return recorded(f.beginResetIfIdle(method, resetIds, observer));
  }

  private PciFunction.ResetInProgress recorded(PciFunction.ResetInProgress r) {
    List<PciFunction.ResetInProgress> begun = begunHere.get();
    if (r != null && begun != null) {
      begun.add(r);
    }
    return r;
  }

  /**
   * Makes {@code r}'s function ready after {@code delay} (at once with Immediate Readiness),
   * then, at that moment on the farm clock, reports it ready and the reset finished (unless the
   * reset was ended as failed meanwhile). A newer reset in between owns the function from then
   * on; this step then does nothing, and the newer reset's own step settles it.
   */
  private void settle(PciFunction.ResetInProgress r, Duration delay) {
    PciFunction f = r.function();
    long nanos = f.model().immediateReadiness() ? 0 : hierarchy.scaledNanos(delay);
    if (f.readyAfter(r, nanos)) {
      clock().schedule(nanos, () -> f.settle(r, observer));
    }
  }
}
