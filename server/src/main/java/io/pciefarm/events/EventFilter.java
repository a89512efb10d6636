package io.pciefarm.events;

import io.pciefarm.topology.PciAddress;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Set;

/**
 * Which events a subscription wants: every condition that is set must hold. Immutable; build one
 * from {@link #all()} with the narrowing methods, e.g.
 * {@code EventFilter.all().inHierarchy("lab").inSlot(3)}.
 *
 * @param hierarchy only events of this hierarchy; null for every hierarchy
 * @param slot only events about this physical slot number; {@link #ANY_SLOT} for any. Slot
 *     numbers are per hierarchy: without a hierarchy this matches the slot in each of them
 * @param function only events about this function address (canonical {@code DDDD:BB:DD.F});
 *     null for any. The address of a port's slot and link events is the port's
 * @param types only events of these types; empty for every type
 */
public record EventFilter(String hierarchy, int slot, String function, Set<EventType> types) {
  /** The {@link #slot()} of a filter that does not restrict slots. */
  public static final int ANY_SLOT = 0;

  private static final EventFilter ALL = new EventFilter(null, ANY_SLOT, null, Set.of());

  /**
   * @throws IllegalArgumentException for a negative slot or an unparsable function address
   */
  public EventFilter {
    if (slot < 0) {
      throw new IllegalArgumentException("slot " + slot + " is negative; 0 means any slot");
    }
    if (function != null) {
      // Canonical form, so that matching is one string comparison and "03:00.0" finds
      // "0000:03:00.0".
      function = PciAddress.parse(function).toString();
    }
    types = types == null || types.isEmpty() ? Set.of()
        : Collections.unmodifiableSet(EnumSet.copyOf(types));
  }

  /** Every event of every hierarchy. */
  public static EventFilter all() {
    return ALL;
  }

  /** This filter, narrowed to the hierarchy called {@code name}. */
  public EventFilter inHierarchy(String name) {
    if (name == null || name.isEmpty()) {
      throw new IllegalArgumentException("a hierarchy filter needs a name");
    }
    return new EventFilter(name, slot, function, types);
  }

  /** This filter, narrowed to physical slot {@code number} (at least 1). */
  public EventFilter inSlot(int number) {
    if (number < 1) {
      throw new IllegalArgumentException("physical slot numbers start at 1, not " + number);
    }
    return new EventFilter(hierarchy, number, function, types);
  }

  /** This filter, narrowed to events about the function at {@code address}. */
  public EventFilter aboutFunction(PciAddress address) {
    return new EventFilter(hierarchy, slot, address.toString(), types);
  }

  /**
   * This filter, narrowed to events about the function at {@code address}
   * ({@code DDDD:BB:DD.F} or {@code BB:DD.F}).
   */
  public EventFilter aboutFunction(String address) {
    return new EventFilter(hierarchy, slot, address, types);
  }

  /** This filter, narrowed to events of the given types. */
  public EventFilter ofTypes(EventType first, EventType... more) {
    return new EventFilter(hierarchy, slot, function, EnumSet.of(first, more));
  }

  /** True when {@code e} passes every condition. Allocation-free. */
  public boolean matches(Event e) {
    return acceptsHierarchy(e.hierarchy())
        && (slot == ANY_SLOT || slot == e.slot())
        && (function == null || function.equals(e.function()))
        && (types.isEmpty() || types.contains(e.type()));
  }

  /** True when events of the hierarchy called {@code name} can match. */
  public boolean acceptsHierarchy(String name) {
    return hierarchy == null || hierarchy.equals(name);
  }
}
