package io.pciefarm.farm;

import io.pciefarm.events.EventBus;
import io.pciefarm.farm.FarmException.Kind;
import io.pciefarm.ownership.Leases;
import io.pciefarm.proto.v1.HierarchySpec;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.time.TimeBase;
import io.pciefarm.topology.HierarchyBuilder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Hosts hierarchies by name and by segment. Lookup by segment (the config path) is one array
 * load; creation builds the hierarchy outside any shared state and then claims its name and
 * segment atomically, so creating or deleting one hierarchy never disturbs the others.
 */
public final class Farm {
  private final ConcurrentHashMap<String, Hierarchy> byName = new ConcurrentHashMap<>();
  private final AtomicReferenceArray<Hierarchy> bySegment = new AtomicReferenceArray<>(0x10000);
  private final TimeBase timeBase;
  private final EventBus events;
  private final Leases leases;

  /** A farm on the shared real-time clock, at time scale 1. */
  public Farm() {
    this(new TimeBase(TimeBase.system().clock(), 1.0));
  }

  /** A farm on {@code timeBase}: its clock schedules every delay, its scale multiplies them. */
  public Farm(TimeBase timeBase) {
    this(timeBase, new EventBus());
  }

  /** A farm whose hierarchies publish their events into {@code events}. */
  public Farm(TimeBase timeBase, EventBus events) {
    this.timeBase = timeBase;
    this.events = events;
    this.leases = new Leases(timeBase.clock());
  }

  /** Leases on isolation groups across every hierarchy. */
  public Leases leases() {
    return leases;
  }

  /** Every hierarchy's events: subscribe here. */
  public EventBus events() {
    return events;
  }

  /** The farm's clock and time scale ({@code timeBase().scale(x)} changes it for every hierarchy). */
  public TimeBase timeBase() {
    return timeBase;
  }

  /**
   * Builds and adds the hierarchy {@code spec} describes.
   *
   * @throws io.pciefarm.topology.TopologyException when the description is invalid
   * @throws FarmException ALREADY_EXISTS when its name or segment is taken
   */
  public Hierarchy create(HierarchySpec spec) {
    Hierarchy h = HierarchyBuilder.build(spec, timeBase);
    // The event log exists before the name is visible, so a delete racing this create always
    // finds a log to close; a failed claim closes it again.
    io.pciefarm.events.EventLog log;
    try {
      log = events.register(h.name(), h.segment());
    } catch (IllegalArgumentException e) {
      throw new FarmException(Kind.ALREADY_EXISTS, "a hierarchy named '" + h.name()
          + "' already exists");
    }
    EventPublisher.attach(h, log);
    if (byName.putIfAbsent(h.name(), h) != null) {
      events.unregister(h.name());
      throw new FarmException(Kind.ALREADY_EXISTS, "a hierarchy named '" + h.name()
          + "' already exists");
    }
    if (!bySegment.compareAndSet(h.segment(), null, h)) {
      byName.remove(h.name(), h);
      events.unregister(h.name());
      Hierarchy other = bySegment.get(h.segment());
      throw new FarmException(Kind.ALREADY_EXISTS, String.format(
          "segment %04x is already used by hierarchy '%s'", h.segment(),
          other == null ? "?" : other.name()));
    }
    return h;
  }

  /**
   * Removes the hierarchy called {@code name}; config requests to its segment read all ones
   * from then on.
   *
   * @throws FarmException NOT_FOUND
   */
  public Hierarchy delete(String name) {
    Hierarchy h = byName.get(name);
    if (h == null || !delete(h)) {
      throw notFound(name);
    }
    return h;
  }

  /**
   * Removes {@code h} if it is still in the farm (not another hierarchy that took its name
   * since); false when it is gone already.
   */
  public boolean delete(Hierarchy h) {
    if (!byName.remove(h.name(), h)) {
      return false;
    }
    bySegment.compareAndSet(h.segment(), h, null);
    leases.hierarchyDeleted(h);
    events.unregister(h.name());
    return true;
  }

  /** The hierarchy on {@code segment}, or null. Lock-free. */
  public Hierarchy bySegment(int segment) {
    return segment >= 0 && segment <= 0xFFFF ? bySegment.get(segment) : null;
  }

  /**
   * The hierarchy called {@code name}.
   *
   * @throws FarmException NOT_FOUND, listing the names that exist
   */
  public Hierarchy get(String name) {
    Hierarchy h = byName.get(name);
    if (h == null) {
      throw notFound(name);
    }
    return h;
  }

  /** Every hierarchy, by segment. */
  public List<Hierarchy> list() {
    List<Hierarchy> out = new ArrayList<>(byName.values());
    out.sort(Comparator.comparingInt(Hierarchy::segment));
    return out;
  }

  public int size() {
    return byName.size();
  }

  private FarmException notFound(String name) {
    List<String> names = list().stream().map(Hierarchy::name).limit(20).toList();
    return new FarmException(Kind.NOT_FOUND, "no hierarchy named '" + name + "'"
        + (names.isEmpty() ? "; the farm is empty" : "; the farm has: " + String.join(", ", names)
        + (size() > names.size() ? ", ..." : "")));
  }
}
