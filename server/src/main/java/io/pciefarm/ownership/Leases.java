package io.pciefarm.ownership;

import io.pciefarm.device.Quirk;
import io.pciefarm.ownership.LeaseException.Kind;
import io.pciefarm.reset.MethodSet;
import io.pciefarm.reset.ResetMethod;
import io.pciefarm.reset.ResetRequest;
import io.pciefarm.reset.ResetResult;
import io.pciefarm.reset.ResetTarget;
import io.pciefarm.time.FarmClock;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.IsolationGroups;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Leases on isolation groups, the unit of assignment (as VFIO assigns groups). Acquiring hands
 * every function of the groups (bridges aside) to the lease; only the holder may then write to
 * or reset them. A lease ends on release or when its TTL passes without renewal; either way its
 * functions are reset (as a toolstack resets a device between guests) and only then return to
 * the host's pool. A waiting acquisition queues, in order, until the groups are free or its
 * deadline passes.
 *
 * <p>State changes take this object's lock (a control path, never a config access); expiry and
 * waiting are scheduled on the farm clock.
 *
 * <h2>The end of a lease</h2>
 * When a lease ends its functions pass at once, under this lock, to a {@linkplain
 * Owner#released released} owner that no caller may write to or reset; the clean-up reset is
 * made as that owner, and only once it is over do the functions return to the host. What the
 * reset could not do (a device whose reset method changes nothing, one that is not ready
 * again, one with no method) is reported by {@link #release} and logged.
 *
 * <p>One window is left open, on purpose. A config write checks the owner (one volatile read)
 * and then writes, with nothing in between that a lease's end could wait for: a write whose
 * check passed just before the lease ended may land just after its clean-up reset began, and
 * so survive into the pool (and the next lease). Closing it needs every write to announce
 * itself (an atomic increment and decrement per function, on the hot path) and the end of a
 * lease to wait for the writes in flight; the window is the few nanoseconds between a check
 * and its compare-and-set, unless the writing thread is descheduled right there, so the cost
 * on every write is not paid. A write that starts after the lease ended is refused.
 */
public final class Leases {
  /** TTL used when a request names none. */
  public static final Duration DEFAULT_TTL = Duration.ofSeconds(30);
  /** The longest TTL granted. */
  public static final Duration MAX_TTL = Duration.ofHours(24);

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final java.util.logging.Logger LOG =
      java.util.logging.Logger.getLogger(Leases.class.getName());

  private final FarmClock clock;
  private final Map<String, Active> active = new LinkedHashMap<>();
  private final Deque<Waiter> waiting = new ArrayDeque<>();

  public Leases(FarmClock clock) {
    this.clock = clock;
  }

  /** What a client asks for. */
  public record Request(Hierarchy hierarchy, Collection<Integer> groups,
      Collection<PciAddress> functions, Duration ttl, String tenant, String holder,
      boolean waitForGroups, Duration deadline) {}

  private static final class Active {
    Lease lease;
    FarmClock.Cancellable expiry;
  }

  private static final class Waiter {
    final Request request;
    final List<PciFunction> wanted;
    final CompletableFuture<Lease> future = new CompletableFuture<>();
    FarmClock.Cancellable timer;

    Waiter(Request request, List<PciFunction> wanted) {
      this.request = request;
      this.wanted = wanted;
    }
  }

  /**
   * Takes the groups. Completes at once when they are free (or, without {@code wait}, fails at
   * once when not); a waiting request completes when they become free or fails at its deadline.
   * Cancelling the returned future takes a waiting request out of the queue (a lease granted
   * in the meantime is released), so a caller that went away does not hold up the requests
   * behind it.
   *
   * @throws LeaseException INVALID, NOT_FOUND or UNAVAILABLE_GROUP (without wait)
   */
  public CompletableFuture<Lease> acquire(Request r) {
    java.util.Objects.requireNonNull(r.tenant(), "tenant");
    if (r.tenant().isEmpty()) {
      throw new LeaseException(Kind.INVALID, "a lease needs a tenant");
    }
    Duration ttl = checkTtl(r.ttl());
    List<PciFunction> taken = resolve(r);
    Waiter w = new Waiter(r, taken);
    synchronized (this) {
      List<String> blocking = blocking(taken);
      // A queued request for any of these functions keeps its place: no overtaking.
      for (Waiter queued : waiting) {
        for (PciFunction f : queued.wanted) {
          if (taken.contains(f)) {
            blocking.add(f.describe() + " (queued for lease by " + queued.request.holder() + ")");
          }
        }
      }
      if (blocking.isEmpty()) {
        w.future.complete(grant(r, ttl, taken));
        return w.future;
      }
      boolean hostFunction = blocking.stream().anyMatch(b -> b.endsWith("(stays with the host)"));
      if (!r.waitForGroups() || hostFunction) {
        throw new LeaseException(Kind.UNAVAILABLE_GROUP, "cannot lease " + describe(r)
            + ": " + String.join(", ", blocking), blocking);
      }
      waiting.addLast(w);
    }
    w.future.whenComplete((lease, e) -> {
      if (w.future.isCancelled()) {
        abandoned(w);
      }
    });
    if (r.deadline() != null) {
      w.timer = clock.schedule(r.deadline().toNanos(), () -> {
        boolean removed;
        synchronized (this) {
          removed = waiting.remove(w);
        }
        if (removed) {
          w.future.completeExceptionally(new LeaseException(Kind.DEADLINE_EXCEEDED,
              "the groups did not become free within " + r.deadline().toMillis() + " ms"));
        }
      });
    }
    return w.future;
  }

  /**
   * Extends a lease: it now expires {@code ttl} (or its own TTL) from now.
   *
   * @throws LeaseException NOT_FOUND (unknown or expired), NOT_HOLDER (another tenant's)
   */
  public synchronized Lease renew(String id, String tenant, Duration ttl) {
    Active a = held(id, tenant);
    Duration t = ttl == null ? a.lease.ttl() : checkTtl(ttl);
    a.expiry.cancel();
    Lease old = a.lease;
    a.lease = new Lease(old.id(), old.tenant(), old.holder(), old.hierarchy(), old.groups(),
        old.functions(), t, clock.nanoTime() + t.toNanos());
    a.expiry = clock.schedule(t.toNanos(), () -> end(id, "expired"));
    return a.lease;
  }

  /**
   * What releasing a lease did.
   *
   * @param released false when there was no such lease (already released or expired)
   * @param notes what the clean-up reset could not do, one line per device or function (a
   *     reset method the device ignores, a function not ready again, a device that could not
   *     be reset): those return to the pool as they were. Empty when every function was reset.
   */
  public record Release(boolean released, List<String> notes) {
    public Release {
      notes = List.copyOf(notes);
    }
  }

  /**
   * Ends a lease: its functions are reset, then returned to the host. Completes when they are
   * back in the pool.
   *
   * @throws LeaseException NOT_HOLDER for another tenant's lease
   */
  public CompletableFuture<Release> release(String id, String tenant) {
    synchronized (this) {
      Active a = active.get(id);
      if (a == null) {
        return CompletableFuture.completedFuture(new Release(false, List.of()));
      }
      if (!a.lease.tenant().equals(tenant)) {
        throw new LeaseException(Kind.NOT_HOLDER, "lease " + id + " belongs to another tenant");
      }
    }
    return end(id, "released").thenApply(notes -> new Release(true, notes));
  }

  /** The lease with {@code id}, if active. */
  public synchronized Lease get(String id) {
    Active a = active.get(id);
    return a == null ? null : a.lease;
  }

  /** Active leases, optionally of one hierarchy (null: all). */
  public synchronized List<Lease> list(Hierarchy h) {
    List<Lease> out = new ArrayList<>();
    for (Active a : active.values()) {
      if (h == null || a.lease.hierarchy() == h) {
        out.add(a.lease);
      }
    }
    return out;
  }

  /** Drops the leases of a deleted hierarchy: nothing to reset, nothing to return. */
  public synchronized void hierarchyDeleted(Hierarchy h) {
    active.values().removeIf(a -> {
      if (a.lease.hierarchy() == h) {
        a.expiry.cancel();
        return true;
      }
      return false;
    });
  }

  /** Number of active leases and of waiting acquisitions, for consistency checks. */
  public synchronized int[] counts() {
    return new int[] {active.size(), waiting.size()};
  }

  private Active held(String id, String tenant) {
    Active a = active.get(id);
    if (a == null) {
      throw new LeaseException(Kind.NOT_FOUND, "no active lease " + id
          + " (released, expired, or never granted)");
    }
    if (!a.lease.tenant().equals(tenant)) {
      throw new LeaseException(Kind.NOT_HOLDER, "lease " + id + " belongs to another tenant");
    }
    return a;
  }

  /** The functions the request takes: whole groups, bridges left with the host. */
  private static List<PciFunction> resolve(Request r) {
    Hierarchy h = r.hierarchy();
    IsolationGroups g = h.groups();
    Set<Integer> groups = new LinkedHashSet<>();
    for (int group : r.groups()) {
      if (group < 0 || group >= g.count()) {
        throw new LeaseException(Kind.NOT_FOUND, "hierarchy '" + h.name() + "' has groups 0.."
            + (g.count() - 1) + ", not " + group);
      }
      groups.add(group);
    }
    for (PciAddress a : r.functions()) {
      PciFunction f = a.segment() == h.segment() ? h.lookup(a) : null;
      if (f == null) {
        throw new LeaseException(Kind.NOT_FOUND, "no function answers at " + a
            + " in hierarchy '" + h.name() + "'");
      }
      groups.add(g.groupOf(f));
    }
    if (groups.isEmpty()) {
      throw new LeaseException(Kind.INVALID, "a lease needs at least one group or function");
    }
    List<PciFunction> out = new ArrayList<>();
    for (int group : groups) {
      for (PciFunction f : g.members(group)) {
        if (!f.isBridge()) {
          out.add(f);
        }
      }
    }
    if (out.isEmpty()) {
      throw new LeaseException(Kind.INVALID, "groups " + groups + " hold only bridges and"
          + " ports, which stay with the host");
    }
    return out;
  }

  private static List<String> blocking(List<PciFunction> functions) {
    List<String> out = new ArrayList<>();
    for (PciFunction f : functions) {
      if (f.isHost()) {
        out.add(f.describe() + " (stays with the host)");
      } else if (!f.owner().isHost()) {
        out.add(f.describe() + " (" + f.owner() + ")");
      }
    }
    return out;
  }

  private Lease grant(Request r, Duration ttl, List<PciFunction> taken) {
    byte[] raw = new byte[16];
    RANDOM.nextBytes(raw);
    String id = HexFormat.of().formatHex(raw);
    IsolationGroups g = r.hierarchy().groups();
    List<Integer> groups = taken.stream().map(g::groupOf).distinct().sorted().toList();
    Lease lease = new Lease(id, r.tenant(), r.holder(), r.hierarchy(), groups, taken, ttl,
        clock.nanoTime() + ttl.toNanos());
    for (PciFunction f : taken) {
      f.owner(lease.owner());
    }
    Active a = new Active();
    a.lease = lease;
    a.expiry = clock.schedule(ttl.toNanos(), () -> end(id, "expired"));
    active.put(id, a);
    return lease;
  }

  /**
   * Ends a lease: removed at once (it can no longer be renewed or used), its functions passed
   * to its released owner (nobody may write to or reset them now), reset as that owner, then
   * handed back to the host, then waiting acquisitions retried. Completes with what the reset
   * could not do.
   */
  private CompletableFuture<List<String>> end(String id, String why) {
    Lease lease;
    Owner released = Owner.released(id);
    synchronized (this) {
      Active a = active.remove(id);
      if (a == null) {
        return CompletableFuture.completedFuture(List.of());
      }
      a.expiry.cancel();
      lease = a.lease;
      for (PciFunction f : lease.functions()) {
        if (f.owner().equals(lease.owner())) {
          f.owner(released);
        }
      }
    }
    return cleanAll(lease, released).handle((notes, e) -> {
      for (PciFunction f : lease.functions()) {
        if (f.owner().equals(released)) {
          f.owner(Owner.HOST);
        }
      }
      retryWaiting();
      List<String> out = notes == null ? List.of("the clean-up reset failed: " + e) : notes;
      if (!out.isEmpty()) {
        LOG.warning("lease " + id + " in '" + lease.hierarchy().name() + "' " + why
            + "; its functions are back with the host, but: " + String.join("; ", out));
      }
      return out;
    });
  }

  /**
   * Resets every device of the lease, as {@code owner}; a device that cannot be reset is
   * skipped. Completes with what could not be done.
   */
  private static CompletableFuture<List<String>> cleanAll(Lease lease, Owner owner) {
    List<CompletableFuture<List<String>>> devices = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (PciFunction f : lease.functions()) {
      PciAddress a = f.address();
      if (a == null) {
        devices.add(CompletableFuture.completedFuture(List.of(f.describe()
            + ": unreachable, not reset")));
        continue;
      }
      String device = String.format("%04x:%02x:%02x", a.segment(), a.bus(), a.device());
      if (!seen.add(device)) {
        continue; // its device is already being reset
      }
      List<PciFunction> functions = lease.functions().stream()
          .filter(g -> sameDevice(a, g.address())).toList();
      try {
        devices.add(lease.hierarchy().resets().reset(new ResetRequest(
            new ResetTarget.Device(a), MethodSet.ANY, ResetRequest.Mode.WAIT, null, false,
            owner)).handle((r, e) -> notes(device, functions, r, e)));
      } catch (RuntimeException e) {
        devices.add(CompletableFuture.completedFuture(List.of("device " + device
            + " could not be reset (" + e.getMessage() + "); it returns as it was")));
      }
    }
    return CompletableFuture.allOf(devices.toArray(CompletableFuture[]::new))
        .thenApply(v -> devices.stream().flatMap(d -> d.join().stream()).toList());
  }

  private static boolean sameDevice(PciAddress a, PciAddress b) {
    return b != null && a.segment() == b.segment() && a.bus() == b.bus()
        && a.device() == b.device();
  }

  /** What one device's clean-up reset left undone. */
  private static List<String> notes(String device, List<PciFunction> functions,
      ResetResult r, Throwable e) {
    if (e != null) {
      Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause()
          != null ? e.getCause() : e;
      return List.of("device " + device + " could not be reset (" + cause.getMessage()
          + "); it returns as it was");
    }
    List<String> out = new ArrayList<>();
    if (r.plan().method() == ResetMethod.PM) {
      for (PciFunction f : functions) {
        if (f.model().has(Quirk.PM_RESET_NO_EFFECT)) {
          out.add(f.describe() + ": reset by pm (D3hot to D0), the first method in Linux's"
              + " order that applies, which changes nothing on this model (quirk"
              + " PM_RESET_NO_EFFECT, as on many GPUs); it returns as its holder left it");
        }
      }
    }
    for (String f : r.notReady()) {
      out.add(f + ": not ready again after its " + r.plan().method().sysfsName()
          + " reset; it returns still resetting");
    }
    return out;
  }
  /** A waiting request whose caller cancelled it: out of the queue, and the next may go. */
  private void abandoned(Waiter w) {
    boolean removed;
    synchronized (this) {
      removed = waiting.remove(w);
    }
    if (w.timer != null) {
      w.timer.cancel();
    }
    if (removed) {
      retryWaiting();
    }
  }

  private void retryWaiting() {
    List<Runnable> grants = new ArrayList<>();
    synchronized (this) {
      for (var it = waiting.iterator(); it.hasNext(); ) {
        Waiter w = it.next();
        if (w.future.isDone()) {
          it.remove(); // cancelled: abandoned() is on its way
          continue;
        }
        List<PciFunction> taken;
        try {
          taken = resolve(w.request);
        } catch (LeaseException e) {
          it.remove();
          grants.add(() -> w.future.completeExceptionally(e));
          continue;
        }
        if (blocking(taken).isEmpty()) {
          it.remove();
          Lease lease = grant(w.request, checkTtl(w.request.ttl()), taken);
          grants.add(() -> {
            if (w.timer != null) {
              w.timer.cancel();
            }
            if (!w.future.complete(lease)) {
              end(lease.id(), "abandoned"); // cancelled meanwhile: nobody holds it
            }
          });
        } else {
          break; // in order: later requests wait behind this one
        }
      }
    }
    grants.forEach(Runnable::run);
  }

  private static Duration checkTtl(Duration ttl) {
    Duration t = ttl == null || ttl.isZero() ? DEFAULT_TTL : ttl;
    if (t.isNegative() || t.compareTo(MAX_TTL) > 0) {
      throw new LeaseException(Kind.INVALID, "lease TTL " + t + " is outside 0.." + MAX_TTL);
    }
    return t;
  }

  private static String describe(Request r) {
    List<String> what = new ArrayList<>();
    r.groups().forEach(g -> what.add("group " + g));
    r.functions().forEach(a -> what.add(a.toString()));
    return String.join(", ", what) + " in '" + r.hierarchy().name() + "'";
  }
}
