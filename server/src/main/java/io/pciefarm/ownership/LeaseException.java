package io.pciefarm.ownership;

import java.util.List;

/** A lease operation that cannot be done; the kind maps to a gRPC status. */
public final class LeaseException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why. */
  public enum Kind {
    /** Unknown or expired lease, or unknown group (NOT_FOUND). */
    NOT_FOUND,
    /** A group is held by another lease or holds a host function (FAILED_PRECONDITION). */
    UNAVAILABLE_GROUP,
    /** The lease belongs to another tenant (PERMISSION_DENIED). */
    NOT_HOLDER,
    /** Malformed request: no groups, bad TTL (INVALID_ARGUMENT). */
    INVALID,
    /** A waiting acquisition ran out of time (DEADLINE_EXCEEDED). */
    DEADLINE_EXCEEDED
  }

  private final Kind kind;
  private final List<String> blocking;

  public LeaseException(Kind kind, String message) {
    this(kind, message, List.of());
  }

  public LeaseException(Kind kind, String message, List<String> blocking) {
    super(message);
    this.kind = kind;
    this.blocking = List.copyOf(blocking);
  }

  public Kind kind() {
    return kind;
  }

  /** The functions that stop an acquisition, each "address (why)". */
  public List<String> blocking() {
    return blocking;
  }
}
