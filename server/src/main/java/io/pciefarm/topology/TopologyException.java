package io.pciefarm.topology;

/**
 * A hierarchy description that cannot be built. The message starts with the place in the
 * description (e.g. {@code devices[1].children[0] (model 'nvme-ssd')}) so a person can find it.
 */
public final class TopologyException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** What kind of mistake it is; the gRPC layer maps all of them to INVALID_ARGUMENT. */
  public enum Kind {
    UNKNOWN_MODEL,
    DUPLICATE_ADDRESS,
    FUNCTION_ZERO_MISSING,
    BUS_NUMBERS_EXHAUSTED,
    CANNOT_HOLD,
    BAD_SLOT,
    BAD_VALUE
  }

  private final Kind kind;
  private final String place;

  public TopologyException(Kind kind, String place, String message) {
    super(place.isEmpty() ? message : place + ": " + message);
    this.kind = kind;
    this.place = place;
  }

  public Kind kind() {
    return kind;
  }

  /** Where in the description the problem is. */
  public String place() {
    return place;
  }
}
