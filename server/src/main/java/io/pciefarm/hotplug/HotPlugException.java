package io.pciefarm.hotplug;

/** An operator action the slot cannot take; the kind maps to a gRPC status. */
public final class HotPlugException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Why. */
  public enum Kind {
    /** No such slot (NOT_FOUND). */
    NO_SLOT,
    /** The slot's state forbids it: occupied, empty, no such feature (FAILED_PRECONDITION). */
    WRONG_STATE,
    /** The card cannot go in a slot (INVALID_ARGUMENT). */
    BAD_CARD
  }

  private final Kind kind;

  public HotPlugException(Kind kind, String message) {
    super(message);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
