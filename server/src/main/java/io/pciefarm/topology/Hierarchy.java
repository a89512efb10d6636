package io.pciefarm.topology;

import io.pciefarm.config.ConfigAccess;
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
  private final Bus root;
  private final List<Bus> buses = new ArrayList<>();
  private final List<PciFunction> functions = new ArrayList<>();
  private final Object routingLock = new Object();
  private volatile Routing routing;
  private volatile IsolationGroups groups;
  /** Bumped by every change that can regroup (ACS Control, hot-plug); groups carry the version. */
  private final java.util.concurrent.atomic.AtomicLong groupVersion =
      new java.util.concurrent.atomic.AtomicLong();

  Hierarchy(String name, int segment, String description) {
    this.name = name;
    this.segment = segment;
    this.description = description;
    this.root = newBus(null);
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

  public Bus rootBus() {
    return root;
  }

  /** Every physical bus, root first, in depth-first creation order. */
  public List<Bus> buses() {
    return Collections.unmodifiableList(buses);
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
   */
  public int read(int bus, int device, int function, int offset, int width) {
    checkAddress(bus, device, function);
    ConfigAccess.check(offset, width, io.pciefarm.config.ConfigLayout.PCIE_SIZE);
    PciFunction f = lookup(bus, device << 3 | function);
    return f == null ? ConfigAccess.widthMask(width) : f.config().read(offset, width);
  }

  /** A config write; dropped where no function answers. Errors as for {@link #read}. */
  public void write(int bus, int device, int function, int offset, int width, int value) {
    checkAddress(bus, device, function);
    ConfigAccess.check(offset, width, io.pciefarm.config.ConfigLayout.PCIE_SIZE);
    PciFunction f = lookup(bus, device << 3 | function);
    if (f != null) {
      f.config().write(offset, width, value);
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

  Routing routing() {
    return routing;
  }

  /** Recomputes and publishes routing from the live registers. */
  void routingChanged() {
    synchronized (routingLock) {
      routing = Routing.compute(root, buses);
    }
  }

  /** Invalidates the cached groups; the next {@link #groups()} recomputes them. */
  void groupsChanged() {
    groupVersion.incrementAndGet();
  }

  Bus newBus(PciFunction bridge) {
    Bus b = new Bus(this, bridge, buses.size());
    buses.add(b);
    return b;
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
