package io.pciefarm.config;

/** An access that no hardware would issue: bad width, misaligned, or outside config space. */
public final class ConfigAccessException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** Why the access was refused; the gRPC layer maps each to INVALID_ARGUMENT. */
  public enum Reason {
    BAD_WIDTH,
    MISALIGNED,
    OUT_OF_RANGE
  }

  private final Reason reason;

  public ConfigAccessException(Reason reason, String message) {
    super(message);
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
