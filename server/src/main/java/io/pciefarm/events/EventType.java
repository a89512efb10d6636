package io.pciefarm.events;

/**
 * What happened. Each constant says what the event's {@link Event#function() function} and
 * {@link Event#slot() slot} name and which {@link DetailKey details} it carries;
 * {@code io.pciefarm.farm.EventPublisher} lists which engine publishes which. Slot and link
 * events are about the port that owns the slot or link: their function is the port's address,
 * never the address of the device in the slot.
 *
 * <p>Resets pair up: every {@link #RESET_STARTED} of a function is followed, before that
 * function's next start, by exactly one {@link #RESET_FINISHED} or {@link #RESET_FAILED}.
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
   * and MSI-X, {@link DetailKey#VECTOR}.
   */
  INTERRUPT,
  /**
   * A reset of the function began, whoever started it (register writes, a reset request, slot
   * power or latch). {@link DetailKey#RESET_METHOD}.
   */
  RESET_STARTED,
  /**
   * A reset of the function completed: the function is ready again (right after
   * {@link #READY}), or a newer reset took it over before it was. {@link DetailKey#RESET_METHOD}.
   */
  RESET_FINISHED,
  /**
   * A reset that had started will not complete. {@link DetailKey#RESET_METHOD} and
   * {@link DetailKey#REASON}: the device never comes back after it (quirk
   * {@code NEVER_READY_AFTER_FLR}, once a working device would have been ready); the reset
   * request stopped waiting for the function (its deadline, or the farm's 60 s); the card was
   * pulled (including after the slot was powered off for an orderly removal). A function that
   * comes back after its reset failed still publishes {@link #READY}. A reset refused before it
   * started publishes nothing.
   */
  RESET_FAILED,
  /**
   * The function finished its post-reset readiness wait: it stops answering config requests with
   * Configuration Request Retry Status. Published at that moment on the farm clock (a scheduled
   * step, never polled).
   */
  READY,
  /** The function was handed to another owner. {@link DetailKey#OLD_OWNER} and
   * {@link DetailKey#NEW_OWNER}. */
  OWNER_CHANGED,
  /**
   * Routing was republished and some bus number now reaches a different bus, or none: function
   * addresses in later events of this hierarchy may differ from earlier ones. Once per republish
   * (a burst of writes coalesced into one publish is one event). Causes: bus-number writes,
   * Secondary Bus Reset, links going down or training, cards plugged or pulled. The function is
   * the bridge or port whose change caused it (for a burst, the first).
   */
  ROUTING_CHANGED,
  /**
   * The isolation (IOMMU) groups were recomputed and differ from the ones before: an ACS Control
   * write, a reset that returned ACS Control to its default, a card plugged or pulled. The
   * function is the one whose change caused it: the ACS Control writer, the reset function or
   * bridge, the slot's port.
   */
  ISOLATION_GROUPS_CHANGED
}
