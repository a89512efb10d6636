/**
 * Native PCI Express hot-plug: one {@link io.pciefarm.hotplug.SlotController} per port that
 * implements a slot, behaving as the controllers Linux's pciehp drives (Slot Control writes are
 * commands, Slot Status events raise a level-triggered interrupt delivered as MSI/MSI-X or
 * INTx), and the operator actions a person at the rack takes ({@link io.pciefarm.hotplug.HotPlug}).
 */
package io.pciefarm.hotplug;
