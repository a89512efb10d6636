package io.pciefarm.hotplug;

/**
 * A slot as a person at the rack and the OS both see it.
 *
 * @param slot physical slot number
 * @param port address of the port that implements the slot
 * @param model catalog model of the card in it, or empty
 * @param present Presence Detect State
 * @param powered power applied: as the power controller is commanded, unless it faulted
 *     (always, for a slot without one), and never while the latch is open or the farm has cut
 *     the supply
 * @param linkUp Data Link Layer Link Active
 * @param mrlOpen the retention latch is open
 * @param interlockEngaged the electromechanical interlock holds the card
 * @param attention attention indicator
 * @param power power indicator
 * @param slotControl raw Slot Control
 * @param slotStatus raw Slot Status
 */
public record SlotState(int slot, String port, String model, boolean present, boolean powered,
    boolean linkUp, boolean mrlOpen, boolean interlockEngaged, Indicator attention,
    Indicator power, int slotControl, int slotStatus) {}
