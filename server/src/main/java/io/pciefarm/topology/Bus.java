package io.pciefarm.topology;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A physical bus: the root bus of a hierarchy, or the secondary side of one bridge. Which bus
 * <em>number</em> reaches it is not a property of the bus but of the bridges' live registers
 * ({@link Routing}); a bus may be unreachable.
 */
public final class Bus {
  private final Hierarchy hierarchy;
  private final PciFunction bridge;
  private final int index;
  /** Bridges between the root bus and this one: the root bus is 0. */
  private final int depth;
  /** Functions by devfn; sized to the highest devfn present + 1, replaced whole on change. */
  private volatile PciFunction[] byDevfn = new PciFunction[0];
  /** The bridges among them, in devfn order: what routing walks. Replaced whole on change. */
  private volatile PciFunction[] bridges = new PciFunction[0];

  Bus(Hierarchy hierarchy, PciFunction bridge, int index) {
    this.hierarchy = hierarchy;
    this.bridge = bridge;
    this.index = index;
    this.depth = bridge == null ? 0 : bridge.bus().depth() + 1;
  }

  /** Bridges between the root bus and this bus: 0 for the root bus. */
  public int depth() {
    return depth;
  }

  public Hierarchy hierarchy() {
    return hierarchy;
  }

  /** The bridge whose secondary side this is, or null for the root bus. */
  public PciFunction bridge() {
    return bridge;
  }

  public boolean isRoot() {
    return bridge == null;
  }

  /** Position of this bus in its hierarchy's bus list (creation order, depth first). */
  public int index() {
    return index;
  }

  /** The function at {@code devfn}, or null. Lock-free. */
  public PciFunction function(int devfn) {
    PciFunction[] a = byDevfn;
    return devfn < a.length ? a[devfn] : null;
  }

  /** Functions on this bus in devfn order. */
  public List<PciFunction> functions() {
    List<PciFunction> out = new ArrayList<>();
    for (PciFunction f : byDevfn) {
      if (f != null) {
        out.add(f);
      }
    }
    return Collections.unmodifiableList(out);
  }

  /**
   * The bridges on this bus in devfn order (shared: callers must not modify it). Lock-free and
   * allocation-free, for routing recomputes.
   */
  PciFunction[] bridges() {
    return bridges;
  }

  /** True when any function of device number {@code device} is on this bus. */
  public boolean hasDevice(int device) {
    for (int fn = 0; fn < 8; fn++) {
      if (function(device << 3 | fn) != null) {
        return true;
      }
    }
    return false;
  }

  /** Adds a function (construction and hot-plug insertion); publishes a new array. */
  synchronized void attach(PciFunction f) {
    int devfn = f.devfn();
    PciFunction[] a = byDevfn;
    PciFunction[] next = java.util.Arrays.copyOf(a, Math.max(a.length, devfn + 1));
    if (next[devfn] != null) {
      throw new IllegalStateException("devfn " + devfn + " is taken on bus " + index);
    }
    next[devfn] = f;
    byDevfn = next;
    bridges = bridgesOf(next);
  }

  /** Removes every function of {@code device} (hot-plug removal); publishes a new array. */
  synchronized void detachDevice(int device) {
    PciFunction[] next = byDevfn.clone();
    for (int fn = 0; fn < 8; fn++) {
      int devfn = device << 3 | fn;
      if (devfn < next.length) {
        next[devfn] = null;
      }
    }
    byDevfn = next;
    bridges = bridgesOf(next);
  }

  /** Rebuilds the bridge array after a function on this bus became a bridge. */
  synchronized void bridgesChanged() {
    bridges = bridgesOf(byDevfn);
  }

  private static PciFunction[] bridgesOf(PciFunction[] byDevfn) {
    int n = 0;
    for (PciFunction f : byDevfn) {
      if (f != null && f.isBridge()) {
        n++;
      }
    }
    PciFunction[] out = new PciFunction[n];
    int i = 0;
    for (PciFunction f : byDevfn) {
      if (f != null && f.isBridge()) {
        out[i++] = f;
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return isRoot() ? "root bus" : "bus below " + bridge;
  }
}
