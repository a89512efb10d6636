package io.pciefarm.events;

/**
 * What happened. Each constant says what the event's {@link Event#function() function} and
 * {@link Event#slot() slot} name and which {@link DetailKey details} it carries. Slot and link
 * events are about the port that owns the slot or link: their function is the port's address,
 * never the address of the device in the slot.
 */
public enum EventType {
  /**
   * The hierarchy's log opened. Always sequence 1, published by {@link EventBus#register}; no
   * function, no slot.
   */
  HIERARCHY_CREATED,
  /**
   * The hierarchy's log closed. Always the last event of its log, published by
   * {@link EventBus#unregister}; no function, no slot.
   */
  HIERARCHY_DELETED,
  /**
   * Presence Detect State changed: a card was inserted or removed. {@link DetailKey#PRESENT},
   * {@link DetailKey#MODEL} and {@link DetailKey#SURPRISE}.
   */
  SLOT_PRESENCE_CHANGED,
  /** The slot's Power Controller switched power on or off. {@link DetailKey#POWER}. */
  SLOT_POWER_CHANGED,
  /**
   * The attention or power indicator changed (a Slot Control write). Carries both indicators'
   * states now: {@link DetailKey#ATTENTION} and {@link DetailKey#POWER}.
   */
  SLOT_INDICATOR_CHANGED,
  /** The attention button was pressed (Attention Button Pressed set). */
  ATTENTION_BUTTON,
  /** The manually-operated retention latch opened or closed. {@link DetailKey#MRL}. */
  MRL_CHANGED,
  /**
   * The electromechanical interlock was engaged or released (Slot Control EIC toggles it).
   * {@link DetailKey#INTERLOCK}.
   */
  INTERLOCK_CHANGED,
  /** The power controller detected a power fault. */
  POWER_FAULT,
  /** The port completed a hot-plug command (a Slot Control write) and set Command Completed. */
  COMMAND_COMPLETED,
  /** Data Link Layer Link Active became set on the port. */
  LINK_UP,
  /** Data Link Layer Link Active became clear on the port. */
  LINK_DOWN,
  /**
   * The function (for hot-plug interrupts, the port) raised an interrupt condition.
   * {@link DetailKey#INTERRUPT_KIND}, which says whether and how it was delivered, and, for MSI
   * and MSI-X when known, {@link DetailKey#VECTOR}.
   */
  INTERRUPT,
  /** A reset of the function began. {@link DetailKey#RESET_METHOD}. */
  RESET_STARTED,
  /** A reset of the function completed. {@link DetailKey#RESET_METHOD}. */
  RESET_FINISHED,
  /**
   * A reset that had started did not complete (the device never became ready, or the model
   * refused). {@link DetailKey#RESET_METHOD} and {@link DetailKey#REASON}. A reset refused before
   * it started publishes nothing.
   */
  RESET_FAILED,
  /**
   * The function finished its post-reset readiness wait: it stops answering config requests with
   * Configuration Request Retry Status.
   */
  READY,
  /** The function was handed to another owner. {@link DetailKey#OLD_OWNER} and
   * {@link DetailKey#NEW_OWNER}. */
  OWNER_CHANGED,
  /**
   * Bus numbers were reprogrammed: function addresses in later events of this hierarchy may
   * differ from earlier ones. The function is the bridge whose registers changed.
   */
  ROUTING_CHANGED,
  /**
   * The isolation (IOMMU) groups changed, e.g. after an ACS Control write. The function is the
   * one whose write caused it.
   */
  ISOLATION_GROUPS_CHANGED
}
