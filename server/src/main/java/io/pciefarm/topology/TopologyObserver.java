package io.pciefarm.topology;

/**
 * Hears a hierarchy's routing and isolation groups change, so events can be published without
 * the topology knowing about subscribers. Called on the thread that made the change, after it
 * is visible and outside the hierarchy's locks; must not block.
 */
public interface TopologyObserver {
  TopologyObserver NONE = new TopologyObserver() {};

  /**
   * A routing snapshot that routes some bus number differently from the one before was
   * published: once per publish, however many register writes it covers.
   *
   * @param cause the bridge or port whose change caused it (bus numbers, Secondary Bus Reset, a
   *     link going up or down, a card plugged or pulled below it); for a coalesced burst the
   *     first of them; null when unknown
   */
  default void routingChanged(PciFunction cause) {}

  /**
   * The isolation groups were recomputed after a change and differ from the ones last reported
   * (or, for the first report, from those when the observer was attached).
   *
   * @param cause the function whose change caused it: the one whose ACS Control was written,
   *     the function or bridge whose reset returned ACS Control to its default, the port a card
   *     was plugged into or pulled from; null when unknown
   */
  default void groupsChanged(PciFunction cause) {}
}
