package io.pciefarm.farm;

/** A farm-level request that cannot be carried out; the kind maps to a gRPC status. */
public final class FarmException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** What went wrong. */
  public enum Kind {
    /** No hierarchy with that name or segment: NOT_FOUND. */
    NOT_FOUND,
    /** A hierarchy with that name or segment exists: ALREADY_EXISTS. */
    ALREADY_EXISTS,
    /** The description is malformed: INVALID_ARGUMENT. */
    INVALID
  }

  private final Kind kind;

  public FarmException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public FarmException(Kind kind, String message, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
