package io.pciefarm.topology;

import io.pciefarm.config.ConfigSpace;
import io.pciefarm.config.HookedRegister;
import io.pciefarm.config.RegisterListener;
import io.pciefarm.device.DeviceModel;
import io.pciefarm.device.FunctionModel;
import io.pciefarm.ownership.Owner;
import io.pciefarm.reset.ResetMethod;
import io.pciefarm.reset.ResetObserver;
import io.pciefarm.spec.AdvancedFeatures;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.PortType;
import io.pciefarm.spec.PowerManagement;
import io.pciefarm.spec.Type1;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * One live function in a hierarchy: a model, its config space, where it sits, whether it is
 * ready, and who owns it. It hears the writes to its hooked registers and turns them into
 * hierarchy events: a bus-number write republishes routing, an ACS Control write regroups, an
 * Initiate FLR or a D3hot to D0 transition resets the function, Secondary Bus Reset resets the
 * subtree; on a port with a slot, Slot Control, Slot Status and the interrupt controls (Command,
 * MSI, MSI-X) go to its hot-plug controller.
 *
 * <h2>Readiness</h2>
 * After a reset the function answers Configuration Request Retry Status until its ready time:
 * a Vendor ID read returns 0x0001 when the root port above has RRS Software Visibility enabled,
 * and every other access must be retried ({@link ConfigRetryException}). The check is one
 * volatile load while ready.
 *
 * <h2>Resets</h2>
 * Each reset is a {@link ResetInProgress} token. The last one begun owns the function's
 * readiness until its settle step makes the function ready; its start and its one end
 * (finished, failed, or finished by a newer reset's start) are reported exactly once. Every
 * transition (begin, ready time, settle, failed end, unplug) runs under this function's
 * monitor and reports to the {@link ResetObserver} while holding it, so one function's reports
 * are in the order of its transitions: a reset's end is never reported before its start, nor
 * READY after a newer start. The config path takes no lock: it reads {@code readyAt} only.
 */
public final class PciFunction implements RegisterListener {
  /** {@link #readyAt} value of a function that is ready. */
  static final long READY = Long.MIN_VALUE;
  /** {@link #readyAt} value of a function that will not become ready by itself. */
  static final long NEVER = Long.MAX_VALUE;

  private final Hierarchy hierarchy;
  private final Bus bus;
  private final int devfn;
  private final int index;
  private final DeviceModel device;
  private final FunctionModel model;
  private final ConfigSpace config;
  private final boolean host;
  private final String label;
  private Bus secondary;
  private volatile long readyAt = READY;
  /**
   * The last reset begun, until its settle step (or an unplug) clears it: it owns the ready
   * time. Written under this function's monitor.
   */
  private volatile ResetInProgress reset;

  /**
   * One reset of this function, from its start to its settle step; compared by identity. The
   * engine hands it to whoever must end it (its own settle step, a failure timer, the request
   * that started it), so nobody ends a reset it does not hold.
   */
  public static final class ResetInProgress {
    private final PciFunction function;
    private final ResetMethod method;
    private final long id;
    /** Its end was reported (finished, failed or superseded); guarded by the function. */
    private boolean ended;

    private ResetInProgress(PciFunction function, ResetMethod method, long id) {
      this.function = function;
      this.method = method;
      this.id = id;
    }

    public PciFunction function() {
      return function;
    }

    public ResetMethod method() {
      return method;
    }

    /**
     * The number the engine gave it: unique in the hierarchy; a function's resets are numbered
     * in the order they start.
     */
    public long id() {
      return id;
    }

    @Override
    public String toString() {
      return method.sysfsName() + " reset #" + id + " of " + function.describe();
    }
  }
  private volatile boolean linkUp;
  private volatile Owner owner = Owner.HOST;
  private volatile List<ResetMethod> resetMethods;
  private volatile SlotHardware slot;

  PciFunction(Hierarchy hierarchy, Bus bus, int devfn, int index, DeviceModel device,
      FunctionModel model, boolean host, String label) {
    this.hierarchy = hierarchy;
    this.bus = bus;
    this.devfn = devfn;
    this.index = index;
    this.device = device;
    this.model = model;
    this.config = new ConfigSpace(model.layout());
    this.host = host;
    this.label = label;
  }

  public Hierarchy hierarchy() {
    return hierarchy;
  }

  /** The physical bus this function sits on. */
  public Bus bus() {
    return bus;
  }

  /** The physical bus below this bridge, or null for a non-bridge. */
  public Bus secondary() {
    return secondary;
  }

  void secondary(Bus secondary) {
    this.secondary = secondary;
    bus.bridgesChanged(); // it is a bridge from now on
  }

  public int devfn() {
    return devfn;
  }

  /** Position in the hierarchy's function list: a dense key for sets of functions. */
  public int index() {
    return index;
  }

  public int deviceNumber() {
    return devfn >>> 3;
  }

  public int functionNumber() {
    return devfn & 7;
  }

  /** The device model this function belongs to (all functions of the device share it). */
  public DeviceModel deviceModel() {
    return device;
  }

  public FunctionModel model() {
    return model;
  }

  /** The raw config space: no readiness check, no ownership; for engines and tests. */
  public ConfigSpace config() {
    return config;
  }

  /** True when the function stays with the host and is never assignable. */
  public boolean isHost() {
    return host;
  }

  /** A label for people, or the empty string. */
  public String label() {
    return label;
  }

  public boolean isBridge() {
    return secondary != null;
  }

  /** The bridge directly above this function, or null on the root bus. */
  public PciFunction upstreamBridge() {
    return bus.bridge();
  }

  /** The root port above this function (or this function itself), or null. */
  public PciFunction rootPort() {
    for (PciFunction f = this; f != null; f = f.upstreamBridge()) {
      if (f.model.portType() == PortType.ROOT_PORT) {
        return f;
      }
    }
    return null;
  }

  /** Who owns the function now. */
  public Owner owner() {
    return owner;
  }

  /** Hands the function to {@code owner} (the lease layer calls this) and reports the change. */
  public void owner(Owner owner) {
    Owner before = this.owner;
    this.owner = java.util.Objects.requireNonNull(owner);
    if (!before.equals(owner)) {
      hierarchy.ownershipObserver().ownerChanged(this, before, owner);
    }
  }

  /**
   * The function's reset-method list, as {@code /sys/bus/pci/devices/.../reset_method} shows
   * it: the methods tried, in order. Defaults to every supported method in Linux's order.
   */
  public List<ResetMethod> resetMethods() {
    List<ResetMethod> m = resetMethods;
    return m != null ? m : List.copyOf(io.pciefarm.reset.ResetSupport.supported(this));
  }

  /** Sets the list; null restores the default. Validation is the caller's (see ResetMethods). */
  public void resetMethods(List<ResetMethod> methods) {
    this.resetMethods = methods == null ? null : List.copyOf(methods);
  }

  /** True when the list was set explicitly rather than left at its default. */
  public boolean resetMethodsCustomised() {
    return resetMethods != null;
  }

  // ---- config access as a requester sees it ----

  /**
   * A config read through the hierarchy: the stored value, or, while the function is not
   * ready, Retry Status.
   *
   * @throws ConfigRetryException when the access must be retried
   */
  public int read(int offset, int width) {
    if (readyAt != READY && !ready()) {
      return notReadyRead(offset, width);
    }
    return config.read(offset, width);
  }

  /** A config write through the hierarchy; a function that is not ready asks for a retry. */
  public void write(int offset, int width, int value) {
    if (readyAt != READY && !ready()) {
      throw ConfigRetryException.INSTANCE;
    }
    config.write(offset, width, value);
  }

  private int notReadyRead(int offset, int width) {
    if (offset == 0 && width >= 2 && rrsSoftwareVisible()) {
      return width == 4 ? 0xFFFF_0001 : 0x0001;
    }
    throw ConfigRetryException.INSTANCE;
  }

  /** RRS Software Visibility is enabled in the Root Control of the root port above. */
  private boolean rrsSoftwareVisible() {
    PciFunction port = rootPort();
    if (port == null || port == this) {
      return false;
    }
    int exp = port.model.layout().capability(CapabilityId.EXP);
    return (port.config.read(exp + PciExpress.ROOT_CONTROL, 2) & PciExpress.RTCTL_RRS_SVE) != 0;
  }

  // ---- state the reset and hot-plug engines drive ----

  /** True when the function answers config requests normally. */
  public boolean ready() {
    long t = readyAt;
    return t == READY || (t != NEVER && hierarchy.timeBase().clock().nanoTime() - t >= 0);
  }

  /**
   * True once the last reset's settle step has run (the readiness flip and its report), which
   * may be a moment after {@link #ready()} turned true by the clock.
   */
  public boolean settled() {
    return readyAt == READY;
  }

  /** True when the function is held not ready with no end (a quirk, or a reset in progress). */
  public boolean neverReady() {
    return readyAt == NEVER;
  }

  /** Monotonic time at which the function becomes ready: {@link Long#MIN_VALUE} when it is. */
  public long readyAt() {
    return readyAt;
  }

  /**
   * Whether this function is still on its bus: false once its card was pulled. A detached
   * function never settles; nothing should wait for it.
   */
  public boolean onBus() {
    return bus.function(devfn) == this;
  }

  /** Holds a function not yet on any bus in Retry Status until a reset of it settles. */
  void markNotReady() {
    readyAt = NEVER;
  }

  /**
   * Records that {@code method} starts resetting this function, numbered from {@code ids}
   * (drawn under this function's lock, so its resets are numbered in the order they start): it
   * answers Retry Status from now on, with no ready time yet. A reset whose end was not
   * reported yet is superseded: reported finished first.
   *
   * @return the new reset, reported started to {@code observer} before anyone can end it; null,
   *     with nothing reported, when the function is no longer on its bus (its card was pulled:
   *     no reset of it could ever end)
   */
  public synchronized ResetInProgress beginReset(ResetMethod method, LongSupplier ids,
      ResetObserver observer) {
    if (!onBus()) {
      return null;
    }
    readyAt = NEVER;
    ResetInProgress before = reset;
    ResetInProgress r = new ResetInProgress(this, method, ids.getAsLong());
    reset = r;
    if (before != null && !before.ended) {
      before.ended = true;
      observer.resetFinished(before);
    }
    observer.resetStarted(r);
    return r;
  }

  /**
   * {@link #beginReset} unless a reset of this function is in progress (begun, its end not
   * reported): a reset that is already under way goes on.
   *
   * @return the new reset, or null when one was in progress or the function is off its bus
   */
  public synchronized ResetInProgress beginResetIfIdle(ResetMethod method, LongSupplier ids,
      ResetObserver observer) {
    ResetInProgress r = reset;
    return r != null && !r.ended ? null : beginReset(method, ids, observer);
  }

  /** The reset in progress (begun, its end not reported yet), or null. */
  public synchronized ResetInProgress currentReset() {
    ResetInProgress r = reset;
    return r != null && !r.ended ? r : null;
  }

  /**
   * The last reset begun, still waiting for its settle step (its end may have been reported
   * already, as failed), or null once the function settled.
   */
  public ResetInProgress latestReset() {
    return reset;
  }

  /**
   * Gives {@code r} its ready time, {@code nanos} from now (0: now), once: only while it is
   * this function's latest reset and has none yet.
   *
   * @return true when it was set; the caller then schedules {@link #settle} for that time
   */
  public synchronized boolean readyAfter(ResetInProgress r, long nanos) {
    if (reset != r || readyAt != NEVER) {
      return false;
    }
    readyAt = hierarchy.timeBase().clock().nanoTime() + Math.max(0, nanos);
    return true;
  }

  /**
   * The settle step of {@code r}, at its ready time: if it is still this function's latest
   * reset and the function is still on its bus, the function becomes ready, READY is reported,
   * and then {@code r} finished (unless its end was reported already, as failed).
   *
   * @return true when this call made the function ready; false when a newer reset owns it
   */
  public synchronized boolean settle(ResetInProgress r, ResetObserver observer) {
    if (reset != r || !onBus()) {
      return false; // superseded, or pulled out (the unplug ends its reset)
    }
    reset = null;
    readyAt = READY;
    observer.ready(r);
    if (!r.ended) {
      r.ended = true;
      observer.resetFinished(r);
    }
    return true;
  }

  /**
   * Ends {@code r} as failed, unless its end was reported already (finished, superseded or
   * failed). The function's readiness is untouched: it still settles at its own time.
   *
   * @return true when this call ended it
   */
  public synchronized boolean endFailed(ResetInProgress r, String reason,
      ResetObserver observer) {
    if (r.function != this) {
      throw new IllegalArgumentException(r + " is not a reset of " + describe());
    }
    if (r.ended) {
      return false;
    }
    r.ended = true;
    observer.resetFailed(r, reason);
    return true;
  }

  /**
   * This function was taken off its bus (its card pulled): a reset in progress ends as failed,
   * and none settles any more.
   */
  public synchronized void unplugged(String reason, ResetObserver observer) {
    ResetInProgress r = reset;
    reset = null;
    readyAt = NEVER; // a ready time set before the pull must not pass for a settle to come
    if (r != null && !r.ended) {
      r.ended = true;
      observer.resetFailed(r, reason);
    }
  }

  /**
   * D3hot to D0 without a reset (No_Soft_Reset set): the function keeps its state but needs
   * {@code nanos} before it answers. A reset in progress owns the ready time and keeps it.
   */
  private void wakeFromD3hot(long nanos) {
    long at;
    synchronized (this) {
      if (reset != null || readyAt == NEVER || nanos <= 0) {
        return; // a reset owns the ready time, or the function has no power yet
      }
      at = hierarchy.timeBase().clock().nanoTime() + nanos;
      readyAt = at;
    }
    hierarchy.timeBase().clock().schedule(nanos, () -> {
      synchronized (this) {
        if (reset == null && readyAt == at) {
          readyAt = READY; // settled: no reset, so nothing to report
        }
      }
    });
  }

  /** For downstream-facing ports: the link below has trained (Data Link Layer Link Active). */
  public boolean linkUp() {
    return linkUp;
  }

  /** The hot-plug controller of this port's slot, or null. */
  public SlotHardware slot() {
    return slot;
  }

  public void slot(SlotHardware slot) {
    this.slot = slot;
  }

  /**
   * Whether the link below this port can train: a card is there and, for a slot, powered and
   * latched.
   */
  public boolean linkPossible() {
    SlotHardware s = slot;
    return s != null ? s.linkPossible() : !secondary.functions().isEmpty();
  }

  /**
   * Sets the link state and Link Status DLL Link Active where the port reports it; a change is
   * reported to the slot's controller (Data Link Layer State Changed).
   */
  public void linkUp(boolean up) {
    boolean changed = linkUp != up;
    linkUp = up;
    int exp = model.layout().capability(CapabilityId.EXP);
    if (exp >= 0 && (config.read(exp + PciExpress.LINK_CAPABILITIES, 4)
        & PciExpress.LNKCAP_DLL_ACTIVE_REPORTING) != 0) {
      config.hardwareUpdate(exp + PciExpress.LINK_STATUS, 2,
          up ? 0 : PciExpress.LNKSTA_DLL_LINK_ACTIVE, up ? PciExpress.LNKSTA_DLL_LINK_ACTIVE : 0);
    }
    SlotHardware s = slot;
    if (changed && s != null) {
      s.linkChanged(up);
    }
  }

  /** True for a port with a PCI Express link below it (root and downstream ports). */
  public boolean hasLinkBelow() {
    return isBridge() && model.portType() != null && model.portType().isDownstreamFacing();
  }

  /** The live Secondary Bus Number register (bridges). */
  public int secondaryBusNumber() {
    return config.read(Type1.SECONDARY_BUS, 1);
  }

  /** The live Subordinate Bus Number register (bridges). */
  public int subordinateBusNumber() {
    return config.read(Type1.SUBORDINATE_BUS, 1);
  }

  /** Secondary Bus Reset is asserted in Bridge Control. */
  public boolean secondaryResetAsserted() {
    return (config.read(Type1.BRIDGE_CONTROL, 2) & Type1.BRIDGE_CTL_BUS_RESET) != 0;
  }

  /**
   * True when this bridge passes config requests to its secondary side: not while Secondary Bus
   * Reset is asserted, and, for a port with a link, only while the link is up.
   */
  public boolean forwardsConfigRequests() {
    return !secondaryResetAsserted() && (!hasLinkBelow() || linkUp);
  }

  /**
   * The address config requests reach this function at now, or null when no bus number routes
   * to its bus (bridges above it are not programmed, point elsewhere, or are in reset).
   */
  public PciAddress address() {
    int number = hierarchy.routing().numberOf(bus);
    return number < 0 ? null
        : new PciAddress(hierarchy.segment(), number, deviceNumber(), functionNumber());
  }

  /**
   * The address events name this function by: the one config requests reach it at now; while
   * none does (a bus reset or a link down above hides it, or a slot is unpowered), the one the
   * Secondary Bus Number of the bridge above gives it; when that is not programmed either (a
   * reset above cleared it), the last one requests reached it at. Null when none of these
   * exists. Never on the config path.
   */
  public PciAddress reportedAddress() {
    PciAddress live = address();
    if (live != null) {
      return live;
    }
    PciFunction up = upstreamBridge();
    int number = up == null ? 0 : up.secondaryBusNumber();
    if (number == 0) {
      number = hierarchy.routing().lastNumberOf(bus);
    }
    return number <= 0 ? null
        : new PciAddress(hierarchy.segment(), number, deviceNumber(), functionNumber());
  }

  /** The address while reachable, else a description of where the function sits. */
  public String describe() {
    PciAddress a = address();
    if (a != null) {
      return a.toString();
    }
    // "ssss:??:dd.f below " for each unreachable level, then the first reachable bridge.
    StringBuilder b = new StringBuilder(40);
    PciFunction f = this;
    while (true) {
      b.append(PciAddress.text(hierarchy.segment(), -1, f.deviceNumber(), f.functionNumber()))
          .append(" below ");
      PciFunction up = f.upstreamBridge();
      if (up == null) {
        return b.append("the root bus").toString();
      }
      PciAddress upAddress = up.address();
      if (upAddress != null) {
        return b.append(upAddress).toString();
      }
      f = up;
    }
  }

  @Override
  public void registerWritten(ConfigSpace space, HookedRegister register, int oldValue,
      int newValue, int written) {
    switch (register.register()) {
      case BUS_NUMBERS -> {
        if (oldValue != newValue) {
          hierarchy.routingChanged(this);
        }
      }
      case BRIDGE_CONTROL -> {
        int sbr = Type1.BRIDGE_CTL_BUS_RESET;
        if ((oldValue & sbr) == 0 && (newValue & sbr) != 0) {
          hierarchy.resetEngine().secondaryResetAsserted(this);
        } else if ((oldValue & sbr) != 0 && (newValue & sbr) == 0) {
          hierarchy.resetEngine().secondaryResetDeasserted(this);
        }
      }
      case DEVICE_CONTROL -> {
        if ((written & PciExpress.DEVCTL_BCR_FLR) != 0 && model.flrCapable()) {
          hierarchy.resetEngine().functionReset(this, ResetMethod.FLR);
        }
      }
      case AF_CONTROL -> {
        if ((written & AdvancedFeatures.CONTROL_INITIATE_FLR) != 0 && model.afFlrCapable()) {
          hierarchy.resetEngine().functionReset(this, ResetMethod.AF_FLR);
        }
      }
      case PM_CONTROL -> powerStateWritten(oldValue, newValue);
      case SLOT_CONTROL -> {
        SlotHardware s = slot;
        if (s != null) {
          s.slotControlWritten(oldValue, newValue, written);
        }
      }
      case SLOT_STATUS -> {
        SlotHardware s = slot;
        if (s != null) {
          s.slotStatusWritten();
        }
      }
      case COMMAND, MSI_CONTROL, MSI_MASK, MSIX_CONTROL -> {
        SlotHardware s = slot;
        if (s != null) {
          s.interruptControlWritten();
        }
      }
      case ACS_CONTROL -> {
        if (oldValue != newValue) {
          hierarchy.groupsChanged(this);
        }
      }
      default -> { }
    }
  }

  /**
   * D3hot to D0 with No_Soft_Reset clear resets the function (unless the model's PM reset does
   * nothing). A write of a state the function does not support is undone: the bits keep the
   * state the function is in, as hardware ignores the request.
   */
  private void powerStateWritten(int oldValue, int newValue) {
    int from = oldValue & PowerManagement.PMCSR_STATE_MASK;
    int to = newValue & PowerManagement.PMCSR_STATE_MASK;
    if (from == to) {
      return;
    }
    int pm = model.layout().capability(CapabilityId.PM);
    int pmc = config.read(pm + PowerManagement.PMC, 2);
    boolean supported = to == 0 || to == 3 || (to == 1 && (pmc & PowerManagement.PMC_D1) != 0)
        || (to == 2 && (pmc & PowerManagement.PMC_D2) != 0);
    if (!supported) {
      config.hardwareUpdate(pm + PowerManagement.PMCSR, 2, PowerManagement.PMCSR_STATE_MASK, from);
      return;
    }
    if (from == PowerManagement.PMCSR_D3HOT && to == PowerManagement.PMCSR_D0) {
      if ((newValue & PowerManagement.PMCSR_NO_SOFT_RESET) == 0) {
        hierarchy.resetEngine().functionReset(this, ResetMethod.PM);
      } else {
        wakeFromD3hot(hierarchy.scaledNanos(model.d3hotDelay()));
      }
    }
  }

  @Override
  public String toString() {
    return describe() + " " + device.name() + (device.isMultiFunction() ? "." + functionNumber() : "");
  }
}
