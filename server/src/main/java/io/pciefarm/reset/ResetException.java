package io.pciefarm.reset;

import java.util.List;

/**
 * A reset request the farm will not carry out. The kind decides the gRPC status; the message
 * says what to do about it.
 */
public final class ResetException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why the request was refused. */
  public enum Kind {
    /** Nothing answers at the target, or the target makes no sense (INVALID_ARGUMENT / NOT_FOUND). */
    BAD_TARGET,
    /** No allowed method applies (FAILED_PRECONDITION). */
    NO_METHOD,
    /** The affected set holds functions the caller does not own (FAILED_PRECONDITION). */
    NOT_OWNER,
    /** TRY mode and an overlapping reset is running or queued (retryable). */
    BUSY,
    /** WAIT mode and the request could not start before its deadline (DEADLINE_EXCEEDED). */
    DEADLINE_EXCEEDED,
    /** The bus has no bridge above it (FAILED_PRECONDITION). */
    ROOT_BUS
  }

  private final Kind kind;
  private final List<String> blocking;

  public ResetException(Kind kind, String message) {
    this(kind, message, List.of());
  }

  /** @param blocking the functions that stop the reset (addresses and owners), for NOT_OWNER */
  public ResetException(Kind kind, String message, List<String> blocking) {
    super(message);
    this.kind = kind;
    this.blocking = List.copyOf(blocking);
  }

  public Kind kind() {
    return kind;
  }

  /** The functions that block the reset: for NOT_OWNER each "address (owner)". */
  public List<String> blocking() {
    return blocking;
  }
}
