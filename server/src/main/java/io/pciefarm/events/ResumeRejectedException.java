package io.pciefarm.events;

/**
 * A subscription asked to resume from a point the bus cannot resume from. The {@link Reason}
 * lets the gRPC layer choose a status code.
 */
public final class ResumeRejectedException extends IllegalArgumentException {
  /** Why. */
  public enum Reason {
    /** Sequence numbers are per hierarchy: resuming needs a filter naming one hierarchy. */
    NEEDS_ONE_HIERARCHY,
    /** No hierarchy of that name is registered, so there is no history to resume from. */
    UNKNOWN_HIERARCHY,
    /**
     * The sequence is beyond the next one the log will assign (the client's number comes from
     * another incarnation of the hierarchy, or is made up).
     */
    NOT_YET_PUBLISHED
  }

  private final Reason reason;

  public ResumeRejectedException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
