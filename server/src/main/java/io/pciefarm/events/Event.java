package io.pciefarm.events;

import java.time.Instant;
import java.util.Map;

/**
 * Something that happened in one hierarchy, numbered in that hierarchy's {@link EventLog}.
 * Immutable; events are shared by every subscriber that receives them, and by the log's history.
 *
 * @param hierarchy the hierarchy's name
 * @param segment the hierarchy's PCI segment
 * @param sequence the event's place in its hierarchy's log: 1 for {@link
 *     EventType#HIERARCHY_CREATED}, then one more for every event, with no number skipped or used
 *     twice
 * @param timestamp when the log numbered the event, from the bus's clock; never decreases along a
 *     hierarchy's sequence while the clock does not go backwards
 * @param type what happened
 * @param function the address ({@code DDDD:BB:DD.F}, lowercase hex, as
 *     {@link io.pciefarm.topology.PciAddress#toString()} prints it) of the function the event is
 *     about, as routed when it happened; for slot and link events that is the port's address.
 *     While something above hides the function (a bus reset, a link down, an unpowered slot):
 *     the address its bridge's bus numbers give it, else the one it last answered at. The empty
 *     string when the event is about no function, or the function never had an address
 * @param slot the physical slot number the event is about or the function sits in, 0 for none
 * @param details specifics, keyed by {@link DetailKey}; immutable, usually empty
 */
public record Event(String hierarchy, int segment, long sequence, Instant timestamp,
    EventType type, String function, int slot, Map<String, String> details)
    implements StreamItem {

  public Event {
    if (hierarchy == null || type == null || timestamp == null || function == null) {
      throw new IllegalArgumentException("an event needs a hierarchy, type, timestamp and "
          + "function (empty for none)");
    }
    if (sequence < 1) {
      throw new IllegalArgumentException("sequence numbers start at 1, not " + sequence);
    }
    if (slot < 0) {
      throw new IllegalArgumentException("slot " + slot + " is negative; 0 means none");
    }
    // Returns an already immutable map as it is, so the usual Map.of() costs nothing.
    details = Map.copyOf(details);
  }

  /** The detail called {@code key}, or null. */
  public String detail(String key) {
    return details.get(key);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder(80).append(hierarchy).append('#').append(sequence)
        .append(' ').append(timestamp).append(' ').append(type);
    if (!function.isEmpty()) {
      b.append(' ').append(function);
    }
    if (slot != 0) {
      b.append(" slot ").append(slot);
    }
    if (!details.isEmpty()) {
      b.append(' ').append(details);
    }
    return b.toString();
  }
}
