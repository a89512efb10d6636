package io.pciefarm.client;

import io.pciefarm.proto.v1.ProbeResetRequest;
import io.pciefarm.proto.v1.ResetMethod;
import io.pciefarm.proto.v1.ResetMethodAlias;
import io.pciefarm.proto.v1.ResetMode;
import io.pciefarm.proto.v1.ResetRequest;
import io.pciefarm.proto.v1.ResetTarget;
import io.pciefarm.proto.v1.ResetTargetKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * What to reset and how, for {@link PcieFarmClient#reset}, {@link PcieFarmClient#probeReset} and
 * their {@link HierarchyHandle} forms. Immutable: every method returns a changed copy.
 *
 * <pre>{@code
 * ResetResponse r = farm.hierarchy("lab").reset(
 *     ResetSpec.function("03:00.0").methods("flr,bus").tryOnce().saveRestore());
 * }</pre>
 *
 * Defaults: the function's own reset_method order, WAIT mode bounded by the call's deadline,
 * no save/restore, the answer once every affected function is ready again, no lease id (every
 * lease of the caller's tenant counts, and for an administrator the host's pool, as for config
 * writes), and a fresh request_id per call.
 */
public final class ResetSpec {
  private final ResetTargetKind kind;
  private final String address;
  private final String hierarchy;
  private final int number;
  private final List<ResetMethod> methods;
  private final ResetMethodAlias alias;
  private final ResetMode mode;
  private final Duration waitTimeout;
  private final boolean saveRestore;
  private final boolean waitReady;
  private final String leaseId;
  private final String requestId;
  private final Duration deadline;

  private ResetSpec(ResetTargetKind kind, String address, String hierarchy, int number,
      List<ResetMethod> methods, ResetMethodAlias alias, ResetMode mode, Duration waitTimeout,
      boolean saveRestore, boolean waitReady, String leaseId, String requestId,
      Duration deadline) {
    this.kind = kind;
    this.address = address;
    this.hierarchy = hierarchy;
    this.number = number;
    this.methods = List.copyOf(methods);
    this.alias = alias;
    this.mode = mode;
    this.waitTimeout = waitTimeout;
    this.saveRestore = saveRestore;
    this.waitReady = waitReady;
    this.leaseId = leaseId;
    this.requestId = requestId;
    this.deadline = deadline;
  }

  private static ResetSpec of(ResetTargetKind kind, String address, String hierarchy,
      int number) {
    return new ResetSpec(kind, address, hierarchy, number, List.of(),
        ResetMethodAlias.RESET_METHOD_ALIAS_UNSPECIFIED, ResetMode.RESET_MODE_WAIT, null, false,
        true, "", "", null);
  }

  private ResetSpec copy(ResetTargetKind kind, String address, String hierarchy, int number,
      List<ResetMethod> methods, ResetMethodAlias alias, ResetMode mode, Duration waitTimeout,
      boolean saveRestore, boolean waitReady, String leaseId, String requestId,
      Duration deadline) {
    return new ResetSpec(kind, address, hierarchy, number, methods, alias, mode, waitTimeout,
        saveRestore, waitReady, leaseId, requestId, deadline);
  }

  // ---- targets ----

  /** One function: {@code DDDD:BB:DD.F}, or {@code BB:DD.F} relative to a hierarchy handle. */
  public static ResetSpec function(String address) {
    return of(ResetTargetKind.RESET_TARGET_KIND_FUNCTION, check(address), "", 0);
  }

  /** Every function of the device at {@code address} (any of its functions). */
  public static ResetSpec device(String address) {
    return of(ResetTargetKind.RESET_TARGET_KIND_DEVICE, check(address), "", 0);
  }

  /** Everything in hot-plug slot {@code number}; the hierarchy comes from a handle. */
  public static ResetSpec slot(int number) {
    return slot("", number);
  }

  /** Everything in hot-plug slot {@code number} of {@code hierarchy}. */
  public static ResetSpec slot(String hierarchy, int number) {
    if (number < 1) {
      throw new IllegalArgumentException("physical slot numbers start at 1, not " + number);
    }
    return of(ResetTargetKind.RESET_TARGET_KIND_SLOT, "", hierarchy, number);
  }

  /** Everything in the slot of the hot-plug port at {@code port}. */
  public static ResetSpec slotOf(String port) {
    return of(ResetTargetKind.RESET_TARGET_KIND_SLOT, check(port), "", 0);
  }

  /** Everything on bus {@code bus} (as routed now) and below; the hierarchy from a handle. */
  public static ResetSpec bus(int bus) {
    return bus("", bus);
  }

  /** Everything on bus {@code bus} of {@code hierarchy} and below. */
  public static ResetSpec bus(String hierarchy, int bus) {
    if (bus < 0 || bus > 0xFF) {
      throw new IllegalArgumentException("bus " + bus + " is outside 0..255");
    }
    return of(ResetTargetKind.RESET_TARGET_KIND_BUS, "", hierarchy, bus);
  }

  /** Everything below the bridge at {@code bridge}: a secondary bus reset of it. */
  public static ResetSpec busBelow(String bridge) {
    return of(ResetTargetKind.RESET_TARGET_KIND_BUS, check(bridge), "", 0);
  }

  private static String check(String address) {
    Address.parse(address);
    return address.trim();
  }

  // ---- how ----

  /**
   * The allowed methods, as sysfs and the unified-reset proposal spell them: names
   * ({@code device_specific flr af_flr pm slot bus power_cycle}) and the aliases {@code FUNC},
   * {@code LINK}, {@code ANY}, comma- or space-separated, any case. One alias alone is sent as
   * the alias; anything else as the list of methods.
   *
   * @throws IllegalArgumentException naming an unknown word
   */
  public ResetSpec methods(String list) {
    List<String> words = new ArrayList<>();
    for (String w : list.trim().split("[,\\s]+")) {
      if (!w.isEmpty()) {
        words.add(w.toUpperCase(Locale.ROOT));
      }
    }
    if (words.isEmpty()) {
      throw new IllegalArgumentException("no reset method given: name methods (flr, bus ...)"
          + " or FUNC, LINK, ANY");
    }
    if (words.size() == 1 && ALIASES.contains(words.get(0))) {
      return alias(ResetMethodAlias.valueOf("RESET_METHOD_ALIAS_" + words.get(0)));
    }
    Set<ResetMethod> out = EnumSet.noneOf(ResetMethod.class);
    for (String w : words) {
      switch (w) {
        case "FUNC" -> out.addAll(List.of(ResetMethod.RESET_METHOD_DEVICE_SPECIFIC,
            ResetMethod.RESET_METHOD_FLR, ResetMethod.RESET_METHOD_AF_FLR,
            ResetMethod.RESET_METHOD_PM));
        case "LINK" -> out.addAll(List.of(ResetMethod.RESET_METHOD_SLOT,
            ResetMethod.RESET_METHOD_BUS));
        case "ANY" -> out.addAll(ANY);
        default -> out.add(method(w));
      }
    }
    return methods(out.toArray(ResetMethod[]::new));
  }

  private static final Set<String> ALIASES = Set.of("FUNC", "LINK", "ANY");
  private static final Set<ResetMethod> ANY = EnumSet.range(
      ResetMethod.RESET_METHOD_DEVICE_SPECIFIC, ResetMethod.RESET_METHOD_POWER_CYCLE);

  /** A method by its sysfs name ({@code af_flr}) or proto name ({@code RESET_METHOD_AF_FLR}). */
  public static ResetMethod method(String name) {
    String n = name.trim().toUpperCase(Locale.ROOT);
    String full = n.startsWith("RESET_METHOD_") ? n : "RESET_METHOD_" + n;
    try {
      ResetMethod m = ResetMethod.valueOf(full);
      if (m != ResetMethod.RESET_METHOD_UNSPECIFIED && m != ResetMethod.UNRECOGNIZED) {
        return m;
      }
    } catch (IllegalArgumentException e) {
      // below
    }
    throw new IllegalArgumentException("unknown reset method '" + name.trim()
        + "'; known: device_specific, flr, af_flr, pm, slot, bus, power_cycle, and FUNC, LINK,"
        + " ANY");
  }

  /** The sysfs spelling of a method, e.g. {@code af_flr}. */
  public static String sysfsName(ResetMethod m) {
    return m.name().substring("RESET_METHOD_".length()).toLowerCase(Locale.ROOT);
  }

  /** The allowed methods (any order; the farm tries them in Linux's order). */
  public ResetSpec methods(ResetMethod... allowed) {
    return copy(kind, address, hierarchy, number, List.of(allowed),
        ResetMethodAlias.RESET_METHOD_ALIAS_UNSPECIFIED, mode, waitTimeout, saveRestore,
        waitReady, leaseId, requestId, deadline);
  }

  /** A named set of methods instead of a list. */
  public ResetSpec alias(ResetMethodAlias a) {
    return copy(kind, address, hierarchy, number, List.of(), a, mode, waitTimeout, saveRestore,
        waitReady, leaseId, requestId, deadline);
  }

  /** Fail at once with ABORTED when an overlapping reset holds the functions. */
  public ResetSpec tryOnce() {
    return copy(kind, address, hierarchy, number, methods, alias, ResetMode.RESET_MODE_TRY,
        waitTimeout, saveRestore, waitReady, leaseId, requestId, deadline);
  }

  /** Queue behind overlapping resets for up to {@code timeout} (DEADLINE_EXCEEDED after). */
  public ResetSpec waitUpTo(Duration timeout) {
    if (timeout.isNegative()) {
      throw new IllegalArgumentException("wait timeout " + timeout + " is negative");
    }
    return copy(kind, address, hierarchy, number, methods, alias, ResetMode.RESET_MODE_WAIT,
        timeout, saveRestore, waitReady, leaseId, requestId, deadline);
  }

  /** Save the functions' config state before and restore it after, as Linux does. */
  public ResetSpec saveRestore() {
    return copy(kind, address, hierarchy, number, methods, alias, mode, waitTimeout, true,
        waitReady, leaseId, requestId, deadline);
  }

  /**
   * Whether the answer waits until every affected function is ready again (the default), or
   * comes as soon as the reset is issued.
   */
  public ResetSpec waitReady(boolean wait) {
    return copy(kind, address, hierarchy, number, methods, alias, mode, waitTimeout, saveRestore,
        wait, leaseId, requestId, deadline);
  }

  /**
   * Narrows the reset to one of the caller's leases: every affected function must be that
   * lease's. Without it, any lease of the caller's tenant counts.
   */
  public ResetSpec lease(String id) {
    return copy(kind, address, hierarchy, number, methods, alias, mode, waitTimeout, saveRestore,
        waitReady, Objects.requireNonNull(id, "lease id"), requestId, deadline);
  }

  /** A request_id of the caller's choosing, to retry safely by hand; otherwise a fresh one. */
  public ResetSpec requestId(String id) {
    return copy(kind, address, hierarchy, number, methods, alias, mode, waitTimeout, saveRestore,
        waitReady, leaseId, Objects.requireNonNull(id, "request id"), deadline);
  }

  /**
   * The call's deadline. Default: the client's call timeout, plus the wait timeout when one is
   * given.
   */
  public ResetSpec deadline(Duration d) {
    return copy(kind, address, hierarchy, number, methods, alias, mode, waitTimeout, saveRestore,
        waitReady, leaseId, requestId, Objects.requireNonNull(d, "deadline"));
  }

  // ---- to the wire ----

  /** This spec with addresses completed to {@code segment} and the hierarchy set. */
  ResetSpec in(String hierarchyName, java.util.function.IntSupplier segment) {
    String a = address;
    if (!a.isEmpty()) {
      a = HierarchyHandle.absolute(a, hierarchyName, segment).toString();
    }
    String h = hierarchy.isEmpty() ? hierarchyName : hierarchy;
    return copy(kind, a, h, number, methods, alias, mode, waitTimeout, saveRestore, waitReady,
        leaseId, requestId, deadline);
  }

  Duration callDeadline(Duration callTimeout) {
    if (deadline != null) {
      return deadline;
    }
    return waitTimeout == null ? callTimeout : callTimeout.plus(waitTimeout);
  }

  ResetTarget target() {
    ResetTarget.Builder t = ResetTarget.newBuilder().setKind(kind).setAddress(address)
        .setHierarchy(hierarchy);
    if (address.isEmpty()) {
      if (kind == ResetTargetKind.RESET_TARGET_KIND_SLOT) {
        t.setSlot(number);
      } else if (kind == ResetTargetKind.RESET_TARGET_KIND_BUS) {
        t.setBus(number);
      }
    }
    return t.build();
  }

  ProbeResetRequest probeRequest() {
    return ProbeResetRequest.newBuilder().setTarget(target()).addAllMethods(methods)
        .setAlias(alias).setLeaseId(leaseId).build();
  }

  ResetRequest resetRequest() {
    ResetRequest.Builder b = ResetRequest.newBuilder().setTarget(target()).addAllMethods(methods)
        .setAlias(alias).setMode(mode).setSaveRestore(saveRestore).setWaitReady(waitReady)
        .setLeaseId(leaseId)
        .setRequestId(requestId.isEmpty() ? UUID.randomUUID().toString() : requestId);
    if (waitTimeout != null) {
      b.setWaitTimeout(com.google.protobuf.Duration.newBuilder()
          .setSeconds(waitTimeout.getSeconds()).setNanos(waitTimeout.getNano()));
    }
    return b.build();
  }

  /** The target for people, e.g. {@code "slot 3 of lab"} or {@code "function 0001:03:00.0"}. */
  @Override
  public String toString() {
    String what = kind.name().substring("RESET_TARGET_KIND_".length()).toLowerCase(Locale.ROOT);
    if (!address.isEmpty()) {
      return kind == ResetTargetKind.RESET_TARGET_KIND_SLOT ? "slot of " + address
          : kind == ResetTargetKind.RESET_TARGET_KIND_BUS ? "bus below " + address
          : what + " " + address;
    }
    return (kind == ResetTargetKind.RESET_TARGET_KIND_BUS ? String.format("bus %02x", number)
        : what + " " + number) + (hierarchy.isEmpty() ? "" : " of " + hierarchy);
  }
}
