package io.pciefarm.topology;

import io.pciefarm.config.ConfigAccess;
import io.pciefarm.reset.ResetEngine;
import io.pciefarm.time.TimeBase;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * One PCI segment: a root bus and everything below it. Config requests are routed by the
 * bridges' live bus-number registers ({@link Routing}).
 *
 * <h2>Concurrency</h2>
 * A config access is lock-free: it reads the published routing snapshot, then the function's
 * config space. Writes that change routing (bus numbers, Secondary Bus Reset) recompute the
 * snapshot under a per-hierarchy lock that only such writes take, and publish it before the
 * write returns, so a client that programs a bridge and then reads below it sees the new route.
 * Readers never wait for it.
 */
public final class Hierarchy {
  private final String name;
  private final int segment;
  private final String description;
  private final TimeBase timeBase;
  private volatile double timeScale;
  private final ResetEngine resetEngine;
  private final io.pciefarm.reset.Resets resets;
  private volatile io.pciefarm.hotplug.HotPlug hotPlug;
  private volatile io.pciefarm.ownership.OwnershipObserver ownershipObserver =
      io.pciefarm.ownership.OwnershipObserver.NONE;
  private volatile TopologyObserver topologyObserver = TopologyObserver.NONE;
  private final Bus root;
  private final List<Bus> buses = new ArrayList<>();
  /** The deepest bus's {@link Bus#depth}: sizes the routing walk's scratch space. */
  private int maxDepth;
  /** Copy-on-write: hot-plug adds and removes functions while others iterate. */
  private final List<PciFunction> functions = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** Monotonic: a removed function's index is never reused, so sets of indices stay valid. */
  private final java.util.concurrent.atomic.AtomicInteger functionIndex =
      new java.util.concurrent.atomic.AtomicInteger();
  private final Object routingLock = new Object();
  private volatile Routing routing;
  /** The thread inside {@link #coalesceRoutingChanges}, or null. Written under routingLock. */
  private volatile Thread coalescingThread;
  /*
   * A burst's own state, touched only by the coalescing thread (handed from one coalescing
   * thread to the next through routingLock): a routing change waits for the burst's end; its
   * first cause; the routing the coalescing thread sees meanwhile, computed when it asks for it
   * and never published (null while it has not asked since the burst's first change).
   */
  private boolean routingStale;
  private PciFunction staleCause;
  private Routing burstRouting;
  /** The published routing {@link #burstRouting} was computed against; coalescing thread only. */
  private Routing burstBase;
  /**
   * A group change is waiting for the end of {@link #coalesceRoutingChanges}, and its first
   * cause. Touched only by the coalescing thread.
   */
  private boolean groupsStale;
  private PciFunction groupsStaleCause;
  private volatile IsolationGroups groups;
  /** Bumped by every change that can regroup (ACS Control, hot-plug); groups carry the version. */
  private final java.util.concurrent.atomic.AtomicLong groupVersion =
      new java.util.concurrent.atomic.AtomicLong();
  /** Serializes comparing groups with the last reported ones; never held while reporting. */
  private final Object groupsReportLock = new Object();
  /**
   * The groups last reported to the topology observer, as a group number per function index
   * (-1: no such function). Guarded by groupsReportLock.
   */
  private int[] reportedGroups;

  Hierarchy(String name, int segment, String description, TimeBase timeBase, double timeScale) {
    this.name = name;
    this.segment = segment;
    this.description = description;
    this.timeBase = timeBase;
    this.timeScale = TimeBase.checkScale(timeScale);
    this.root = newBus(null);
    this.resetEngine = new ResetEngine(this);
    this.resets = new io.pciefarm.reset.Resets(this);
  }

  public String name() {
    return name;
  }

  /** The PCI segment (domain) number. */
  public int segment() {
    return segment;
  }

  public String description() {
    return description;
  }

  /** The farm's clock and time scale. */
  public TimeBase timeBase() {
    return timeBase;
  }

  /** This hierarchy's time scale, applied on top of the farm's: 0 instant, 1 real time. */
  public double timeScale() {
    return timeScale;
  }

  public void timeScale(double scale) {
    this.timeScale = TimeBase.checkScale(scale);
  }

  /** A model delay in nanoseconds after both time scales. */
  public long scaledNanos(java.time.Duration d) {
    return timeBase.scaledNanos(d, timeScale);
  }

  /** The mechanics of every reset, register-driven or requested. */
  public ResetEngine resetEngine() {
    return resetEngine;
  }

  public io.pciefarm.ownership.OwnershipObserver ownershipObserver() {
    return ownershipObserver;
  }

  public void ownershipObserver(io.pciefarm.ownership.OwnershipObserver observer) {
    this.ownershipObserver = observer == null ? io.pciefarm.ownership.OwnershipObserver.NONE
        : observer;
  }

  public TopologyObserver topologyObserver() {
    return topologyObserver;
  }

  /**
   * Tells {@code observer} about routing and isolation-group changes from now on. The groups
   * as they are now are what the first {@link TopologyObserver#groupsChanged} is judged against
   * (kept as one int per function; the groups themselves are not cached for it).
   */
  public void topologyObserver(TopologyObserver observer) {
    TopologyObserver o = observer == null ? TopologyObserver.NONE : observer;
    synchronized (groupsReportLock) {
      reportedGroups = o == TopologyObserver.NONE ? null
          : groupNumbers(IsolationGroups.compute(this, groupVersion.get()));
    }
    this.topologyObserver = o;
  }

  /** The hot-plug slots and the operator actions on them. */
  public io.pciefarm.hotplug.HotPlug hotPlug() {
    return hotPlug;
  }

  /** Reset requests: probe and reset in one call. */
  public io.pciefarm.reset.Resets resets() {
    return resets;
  }

  public Bus rootBus() {
    return root;
  }

  /** Every physical bus, root first, in depth-first creation order. */
  public List<Bus> buses() {
    return Collections.unmodifiableList(buses);
  }

  /**
   * Plugs a card into the (empty) link below {@code port}: creates the device's functions at
   * device 0 of the port's secondary bus in reset state, unconfigured, not ready. Routing and
   * groups are recomputed. The caller (the slot controller) brings the link up.
   *
   * @throws TopologyException when the model cannot sit below a port
   * @throws IllegalStateException when the link already holds a device
   */
  public List<PciFunction> plug(PciFunction port, io.pciefarm.device.DeviceModel model,
      String label) {
    HierarchyBuilder.checkCard(port, model);
    List<PciFunction> added = new ArrayList<>();
    boolean routed;
    synchronized (routingLock) {
      if (!port.secondary().functions().isEmpty()) {
        throw new IllegalStateException("the link below " + port.describe()
            + " already holds a device");
      }
      for (int fn : model.functionNumbers()) {
        PciFunction f = new PciFunction(this, port.secondary(), fn, nextFunctionIndex(), model,
            model.function(fn), false, label == null ? "" : label);
        HierarchyBuilder.strapSerial(this, f);
        f.markNotReady();
        added.add(f);
      }
      for (PciFunction f : added) {
        add(f);
        f.config().listener(f);
      }
      routed = publishRoutingLocked(computeRouting());
    }
    if (routed) {
      topologyObserver.routingChanged(port);
    }
    groupsChanged(port);
    return added;
  }

  /**
   * Pulls whatever card sits below {@code port}; returns its functions (now detached). A reset
   * still in progress on them ends as failed: it can never complete.
   */
  public List<PciFunction> unplug(PciFunction port) {
    List<PciFunction> gone;
    boolean routed;
    synchronized (routingLock) {
      gone = port.secondary().functions();
      port.secondary().detachDevice(0);
      functions.removeAll(gone);
      routed = publishRoutingLocked(computeRouting());
    }
    resetEngine.removed(gone);
    if (routed) {
      topologyObserver.routingChanged(port);
    }
    groupsChanged(port);
    return gone;
  }

  /** Every function, in depth-first creation order. */
  public List<PciFunction> functions() {
    return Collections.unmodifiableList(functions);
  }

  /**
   * The function config requests for {@code bus}/{@code devfn} reach now, or null (nothing
   * there, or nothing routes there). Lock-free and allocation-free.
   */
  public PciFunction lookup(int bus, int devfn) {
    Bus b = routing.bus(bus & 0xFF);
    return b == null ? null : b.function(devfn & 0xFF);
  }

  /** The physical bus requests for {@code number} reach now, or null. */
  public Bus busAt(int number) {
    return routing.bus(number & 0xFF);
  }

  /** The function at {@code address} now, or null. */
  public PciFunction lookup(PciAddress address) {
    return lookup(address.bus(), address.devfn());
  }

  /**
   * A config read as the host bridge issues it. An address no function answers reads all ones
   * (master abort), as hardware does.
   *
   * @throws IllegalArgumentException for a bus, device or function number out of range
   * @throws io.pciefarm.config.ConfigAccessException for a bad offset or width
   * @throws ConfigRetryException while the function is not ready after a reset
   */
  public int read(int bus, int device, int function, int offset, int width) {
    checkAddress(bus, device, function);
    ConfigAccess.check(offset, width, io.pciefarm.config.ConfigLayout.PCIE_SIZE);
    PciFunction f = lookup(bus, device << 3 | function);
    return f == null ? ConfigAccess.widthMask(width) : f.read(offset, width);
  }

  /** A config write; dropped where no function answers. Errors as for {@link #read}. */
  public void write(int bus, int device, int function, int offset, int width, int value) {
    checkAddress(bus, device, function);
    ConfigAccess.check(offset, width, io.pciefarm.config.ConfigLayout.PCIE_SIZE);
    PciFunction f = lookup(bus, device << 3 | function);
    if (f != null) {
      f.write(offset, width, value);
    }
  }

  /** The current isolation groups (recomputed when ACS Control or the topology changes). */
  public IsolationGroups groups() {
    IsolationGroups g = groups;
    long version = groupVersion.get();
    if (g == null || g.version() != version) {
      // Computed from live registers read after the version: a change racing with this
      // computation bumps the version again and the next call recomputes.
      g = IsolationGroups.compute(this, version);
      groups = g;
    }
    return g;
  }

  /**
   * The routing snapshot. The thread inside {@link #coalesceRoutingChanges} gets its own, up to
   * date with its writes and published to no one, so what it reads (a function's {@link
   * PciFunction#address}, an event naming one) reflects its own writes while other threads, and
   * {@link #lookup} on any thread, still route by the published one.
   */
  Routing routing() {
    return coalescingThread == Thread.currentThread() ? burstRouting() : routing;
  }

  /** The coalescing thread's routing: the published one until its burst changes routing. */
  private Routing burstRouting() {
    Routing published = routing;
    if (burstRouting != null && burstBase != published) {
      routingStale = true; // another thread published mid-burst: its change counts here too
    }
    if (routingStale) {
      routingStale = false;
      synchronized (routingLock) {
        published = routing;
        burstRouting = Routing.compute(root, buses.size(), maxDepth,
            burstRouting != null ? burstRouting : published);
        burstBase = published;
      }
    }
    return burstRouting != null ? burstRouting : published;
  }

  /** Every function below {@code bridge}, at any depth, in depth-first order. */
  public java.util.List<PciFunction> subtree(PciFunction bridge) {
    java.util.List<PciFunction> out = new ArrayList<>();
    collect(bridge.secondary(), out);
    return out;
  }

  private static void collect(Bus bus, java.util.List<PciFunction> out) {
    for (PciFunction f : bus.functions()) {
      out.add(f);
      if (f.isBridge()) {
        collect(f.secondary(), out);
      }
    }
  }

  /** The port whose slot has physical slot number {@code slot}, or null. */
  public PciFunction slotPort(int slot) {
    for (PciFunction f : functions) {
      if (f.model().hasSlot() && f.functionNumber() == 0 && physicalSlot(f) == slot) {
        return f;
      }
    }
    return null;
  }

  /** The physical slot number of a port with a slot, or 0. */
  public static int physicalSlot(PciFunction port) {
    int exp = port.model().layout().capability(io.pciefarm.spec.CapabilityId.EXP);
    if (exp < 0 || !port.model().hasSlot()) {
      return 0;
    }
    return port.config().read(exp + io.pciefarm.spec.PciExpress.SLOT_CAPABILITIES, 4)
        >>> io.pciefarm.spec.PciExpress.SLTCAP_PSN_SHIFT;
  }

  /** {@link #routingChanged(PciFunction)} with no known cause. */
  public void routingChanged() {
    routingChanged(null);
  }

  /**
   * Recomputes and publishes routing from the live registers, before returning; inside
   * {@link #coalesceRoutingChanges} on the calling thread, once at its end instead. A snapshot
   * that routes differently is reported to the {@link TopologyObserver}, once per publish.
   *
   * @param cause the bridge or port whose registers or link changed, or null
   */
  public void routingChanged(PciFunction cause) {
    if (coalescingThread == Thread.currentThread()) {
      // Only this thread makes the field name it, so the check needs no lock.
      routingStale = true;
      if (staleCause == null) {
        staleCause = cause;
      }
      return;
    }
    boolean routed;
    synchronized (routingLock) {
      routed = publishRoutingLocked(computeRouting());
    }
    if (routed) {
      topologyObserver.routingChanged(cause);
    }
  }

  /**
   * Runs {@code body} (a burst of register writes, such as restoring saved state after a reset)
   * with the routing changes it makes published once, when it ends, instead of once per
   * bus-number or Bridge Control write, and reported once then. Until then other threads route
   * as before the burst, and this thread sees its own changes in what it reads through {@link
   * PciFunction#address} (its config accesses through {@link #lookup} route as published).
   * A routing change another thread publishes meanwhile is computed from the live registers,
   * the burst's writes so far included. Only one thread per
   * hierarchy coalesces at a time; a second one, or a nested call, runs {@code body} with
   * routing published as usual, which is correct, only slower.
   */
  public void coalesceRoutingChanges(Runnable body) {
    Thread me = Thread.currentThread();
    boolean mine;
    synchronized (routingLock) {
      mine = coalescingThread == null;
      if (mine) {
        coalescingThread = me;
      }
    }
    if (!mine) {
      body.run();
      return;
    }
    boolean routed = false;
    PciFunction cause = null;
    boolean regroup;
    PciFunction groupsCause;
    try {
      body.run();
    } finally {
      regroup = groupsStale;
      groupsCause = groupsStaleCause;
      groupsStale = false;
      groupsStaleCause = null;
      synchronized (routingLock) {
        coalescingThread = null;
        if (routingStale || burstRouting != null) {
          // From the live registers: another thread may have published since burstRouting.
          routed = publishRoutingLocked(Routing.compute(root, buses.size(), maxDepth,
              burstRouting != null ? burstRouting : routing));
          cause = staleCause;
        }
        routingStale = false;
        staleCause = null;
        burstRouting = null;
        burstBase = null;
      }
    }
    if (routed) {
      topologyObserver.routingChanged(cause);
    }
    if (regroup) {
      groupsChanged(groupsCause);
    }
  }

  /** Routing from the live registers now; callers hold routingLock and publish it. */
  private Routing computeRouting() {
    return Routing.compute(root, buses.size(), maxDepth, routing);
  }

  /**
   * Publishes {@code next}; caller holds routingLock.
   *
   * @return true when it routes some bus number differently from the snapshot it replaces
   */
  private boolean publishRoutingLocked(Routing next) {
    Routing before = routing;
    routing = next;
    return !next.sameRoutes(before);
  }

  /**
   * Invalidates the cached groups (the next {@link #groups()} recomputes them). Call it after
   * the change, once per change: with a {@link TopologyObserver} attached, the groups are
   * recomputed at once and reported when they differ from the ones last reported. Not for the
   * config read path; an ACS Control write, a reset or a hot-plug pays one O(functions) pass,
   * a burst inside {@link #coalesceRoutingChanges} (a restore) one at its end.
   *
   * @param cause the function whose change may regroup, or null
   */
  public void groupsChanged(PciFunction cause) {
    groupVersion.incrementAndGet();
    TopologyObserver o = topologyObserver;
    if (o == TopologyObserver.NONE) {
      return;
    }
    if (coalescingThread == Thread.currentThread()) {
      if (!groupsStale) {
        groupsStale = true;
        groupsStaleCause = cause;
      }
      return;
    }
    boolean regrouped;
    synchronized (groupsReportLock) {
      int[] now = groupNumbers(groups());
      regrouped = reportedGroups != null && !java.util.Arrays.equals(now, reportedGroups);
      reportedGroups = now;
    }
    if (regrouped) {
      o.groupsChanged(cause);
    }
  }

  /**
   * The group number of each function by {@link PciFunction#index()}, -1 for indices no
   * function has: equal arrays mean equal partitions, as groups are numbered in depth-first
   * order of their first member.
   */
  private int[] groupNumbers(IsolationGroups g) {
    int[] out = new int[functionIndex.get()];
    java.util.Arrays.fill(out, -1);
    for (int i = 0; i < g.count(); i++) {
      for (PciFunction f : g.members(i)) {
        if (f.index() < out.length) {
          out[f.index()] = i;
        }
      }
    }
    return out;
  }

  Bus newBus(PciFunction bridge) {
    Bus b = new Bus(this, bridge, buses.size());
    buses.add(b);
    maxDepth = Math.max(maxDepth, b.depth());
    return b;
  }

  int nextFunctionIndex() {
    return functionIndex.getAndIncrement();
  }

  void add(PciFunction f) {
    functions.add(f);
    f.bus().attach(f);
  }

  /**
   * Makes a built (and possibly enumerated) hierarchy live: functions start hearing their
   * hooked registers and routing is computed from the registers as they now are.
   */
  void activate() {
    for (PciFunction f : functions) {
      f.config().listener(f);
    }
    hotPlug = io.pciefarm.hotplug.HotPlug.attach(this);
    routingChanged();
  }

  private static void checkAddress(int bus, int device, int function) {
    if ((bus & ~0xFF) != 0 || (device & ~0x1F) != 0 || (function & ~0x7) != 0) {
      throw new IllegalArgumentException(String.format(
          "bus %d, device %d, function %d: bus must be 0..255, device 0..31, function 0..7",
          bus, device, function));
    }
  }

  @Override
  public String toString() {
    return String.format("%s (segment %04x)", name, segment);
  }
}
