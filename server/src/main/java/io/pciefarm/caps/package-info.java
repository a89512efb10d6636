/**
 * Capability structures as immutable values that install themselves into a
 * {@link io.pciefarm.config.LayoutBuilder}.
 *
 * <p>The contract every class here keeps:
 * <ul>
 *   <li>A capability is a model-level description: built once, shared by every instance of a
 *       device model. It holds no live state; per-instance values (port numbers, physical slot
 *       numbers, serial numbers) are strapped into each {@link io.pciefarm.config.ConfigSpace}
 *       by the topology.
 *   <li>The layout builder writes the list linkage (ID and next pointer, or the extended header
 *       dword); {@code install} writes everything after it: reset values, and per bit RW, RW1C,
 *       sticky (RWS, RW1CS, ROS) or trigger (write-one actions that read 0). A bit given none of
 *       these is read-only to software; reserved bits are read-only 0.
 *   <li>Registers whose writes mean something beyond the stored bits are hooked with a
 *       {@link io.pciefarm.config.Register}, and the listener decides what the write does.
 *   <li>Options that do not apply (FLR on a root port, a slot on an endpoint) are refused when
 *       the capability is built, never silently dropped.
 * </ul>
 * Each class's Javadoc states which fields are RO, RW, RW1C, sticky and triggers, following the
 * PCI Express Base Specification; every constant comes from {@code io.pciefarm.spec}.
 */
package io.pciefarm.caps;
