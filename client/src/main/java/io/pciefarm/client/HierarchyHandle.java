package io.pciefarm.client;

import io.pciefarm.proto.v1.AcquireRequest;
import io.pciefarm.proto.v1.EventFilter;
import io.pciefarm.proto.v1.EventStreamItem;
import io.pciefarm.proto.v1.FunctionInfo;
import io.pciefarm.proto.v1.HierarchyInfo;
import io.pciefarm.proto.v1.ProbeResetResponse;
import io.pciefarm.proto.v1.ResetResponse;
import io.pciefarm.proto.v1.SlotState;
import io.pciefarm.proto.v1.TopologySnapshot;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.IntSupplier;

/**
 * A hierarchy on the server, by name. Its segment is fetched once, on first need; functions are
 * named relative to it ({@code BB:DD.F}) or in full.
 */
public final class HierarchyHandle {
  private final PcieFarmClient client;
  private final String name;
  private volatile HierarchyInfo info;

  HierarchyHandle(PcieFarmClient client, String name) {
    this(client, name, null);
  }

  HierarchyHandle(PcieFarmClient client, String name, HierarchyInfo info) {
    this.client = client;
    this.name = name;
    this.info = info;
  }

  public String name() {
    return name;
  }

  /** The hierarchy as the server describes it now (with the spec it was created from). */
  public HierarchyInfo info() {
    HierarchyInfo i = client.hierarchyInfo(name);
    info = i;
    return i;
  }

  /** The PCI segment: the DDDD of its functions' addresses. */
  public int segment() {
    HierarchyInfo i = info;
    return (i != null ? i : info()).getSegment();
  }

  /** The live topology: functions, groups, the tree. */
  public TopologySnapshot topology() {
    return client.topology(name);
  }

  /**
   * A function of this hierarchy: {@code BB:DD.F}, or {@code DDDD:BB:DD.F} with this
   * hierarchy's segment.
   *
   * @throws IllegalArgumentException for a malformed address or another segment
   */
  public FunctionHandle function(String address) {
    return new FunctionHandle(client, absolute(address, name, this::segment));
  }

  /** {@code address} on the hierarchy's segment: {@code BB:DD.F}, or a full one that is on it. */
  static Address absolute(String address, String name, IntSupplier segment) {
    Address a = Address.parse(address);
    boolean hasSegment = address.trim().split(":").length == 3;
    if (hasSegment && a.segment() != segment.getAsInt()) {
      throw new IllegalArgumentException(String.format(
          "%s is on segment %04x, but hierarchy '%s' is segment %04x", address, a.segment(),
          name, segment.getAsInt()));
    }
    return hasSegment ? a : a.withSegment(segment.getAsInt());
  }

  // ---- resets ----

  /**
   * What a reset would do now ({@link PcieFarmClient#probeReset}); addresses in {@code spec}
   * may be relative to this hierarchy ({@code BB:DD.F}), slots and buses are this hierarchy's.
   */
  public ProbeResetResponse probeReset(ResetSpec spec) {
    return client.probeReset(spec.in(name, this::segment));
  }

  /** Resets and waits for the answer ({@link PcieFarmClient#reset}); never retried. */
  public ResetResponse reset(ResetSpec spec) {
    return client.reset(spec.in(name, this::segment));
  }

  /** Resets without blocking ({@link PcieFarmClient#resetAsync}). */
  public CompletableFuture<ResetResponse> resetAsync(ResetSpec spec) {
    return client.resetAsync(spec.in(name, this::segment));
  }

  // ---- hot-plug ----

  /** The hierarchy's hot-plug slots, by slot number. */
  public List<SlotState> slots() {
    return client.slots(name);
  }

  /** A handle on physical slot {@code number}. */
  public SlotHandle slot(int number) {
    return client.slot(name, number);
  }

  // ---- events ----

  /**
   * Subscribes to this hierarchy's events ({@link PcieFarmClient#subscribe}): from now on
   * ({@code resumeFrom} 0) or from that sequence number.
   */
  public EventSubscription subscribe(long resumeFrom, Consumer<EventStreamItem> consumer) {
    return client.subscribe(EventFilter.newBuilder().setHierarchy(name).build(), resumeFrom,
        consumer);
  }

  /**
   * The isolation groups a lease can take now: those with a function other than a bridge and
   * no function that stays with the host.
   */
  public List<Integer> leasableGroups() {
    Set<Integer> withDevices = new TreeSet<>();
    Set<Integer> withHost = new TreeSet<>();
    for (FunctionInfo f : topology().getFunctionsList()) {
      if (f.getHost()) {
        withHost.add(f.getIsolationGroup());
      } else if (!f.getBridge()) {
        withDevices.add(f.getIsolationGroup());
      }
    }
    withDevices.removeAll(withHost);
    return List.copyOf(withDevices);
  }

  /** Leases these isolation groups (renewed until the handle is closed); default TTL. */
  public LeaseHandle leaseGroups(int... groups) {
    AcquireRequest.Builder b = AcquireRequest.newBuilder().setHierarchy(name);
    for (int g : groups) {
      b.addGroups(g);
    }
    return client.acquire(b.build());
  }

  /**
   * Leases the groups holding these functions ({@code BB:DD.F} of this hierarchy, or in full),
   * renewed until the handle is closed; default TTL.
   */
  public LeaseHandle leaseFunctions(String... addresses) {
    AcquireRequest.Builder b = AcquireRequest.newBuilder().setHierarchy(name);
    for (String a : addresses) {
      b.addFunctions(function(a).address().toString());
    }
    return client.acquire(b.build());
  }

  /** Active leases on this hierarchy, of every tenant. */
  public List<io.pciefarm.proto.v1.Lease> leases() {
    return client.leases(name);
  }

  /** Deletes the hierarchy. Not retried. */
  public HierarchyInfo delete() {
    return client.deleteHierarchy(name);
  }

  @Override
  public String toString() {
    return "hierarchy " + name;
  }
}
