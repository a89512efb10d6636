package io.pciefarm.events;

/**
 * The keys of {@link Event#details()}, with the values each one takes. Values are plain strings
 * so that they cross the gRPC boundary unchanged; publishers use these spellings and nothing
 * else, so that clients can rely on them.
 */
public final class DetailKey {
  /** {@code "true"} when a card is now present, {@code "false"} when it was removed. */
  public static final String PRESENT = "present";
  /** The catalog model of the card inserted or removed. */
  public static final String MODEL = "model";
  /**
   * {@code "true"} for a surprise removal (the card pulled without the power-off sequence),
   * else {@code "false"}.
   */
  public static final String SURPRISE = "surprise";
  /**
   * For {@link EventType#SLOT_POWER_CHANGED}: {@code "on"} or {@code "off"}, the slot power now.
   * For {@link EventType#SLOT_INDICATOR_CHANGED}: the power indicator now, {@code "on"},
   * {@code "blink"} or {@code "off"} ({@code "reserved"} for the reserved encoding).
   */
  public static final String POWER = "power";
  /** The attention indicator now, with the values of the power indicator. */
  public static final String ATTENTION = "attention";
  /** {@code "open"} or {@code "closed"}: the retention latch now. */
  public static final String MRL = "mrl";
  /** {@code "engaged"} or {@code "released"}: the electromechanical interlock now. */
  public static final String INTERLOCK = "interlock";
  /**
   * {@code "intx"}, {@code "msi"} or {@code "msix"}; {@code "suppressed"} when the interrupt
   * condition arose but every delivery path was disabled or masked, so nothing reached the host.
   */
  public static final String INTERRUPT_KIND = "interrupt_kind";
  /**
   * The MSI or MSI-X vector number, decimal: for a hot-plug interrupt, the Interrupt Message
   * Number of the port's PCI Express Capabilities register (an MSI vector offset, an MSI-X
   * table entry).
   */
  public static final String VECTOR = "vector";
  /** The reset method's sysfs spelling ({@code io.pciefarm.reset.ResetMethod#sysfsName()}). */
  public static final String RESET_METHOD = "reset_method";
  /**
   * Which reset an event is about, decimal: a number unique in the hierarchy (a function's
   * resets are numbered in the order they start), shared by the reset's {@link EventType#RESET_STARTED}, its one
   * {@link EventType#RESET_FINISHED} or {@link EventType#RESET_FAILED}, and {@link
   * EventType#READY}. Pairs a start with its end even when the function's address changed
   * meanwhile.
   */
  public static final String RESET_ID = "reset_id";
  /** Why a reset failed, for people; not a stable format. */
  public static final String REASON = "reason";
  /** The owner before the change; the empty string when there was none. */
  public static final String OLD_OWNER = "old_owner";
  /** The owner after the change; the empty string when there is none. */
  public static final String NEW_OWNER = "new_owner";

  private DetailKey() {}
}
