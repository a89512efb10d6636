package io.pciefarm.reset;

import io.pciefarm.ownership.Owner;

/**
 * One function a reset reaches, as VFIO's hot-reset info reports it.
 *
 * @param address where it answers now ("DDDD:BB:DD.F"), or where it sits if unreachable
 * @param group its isolation group in the hierarchy
 * @param owner who owns it
 * @param inUse why it looks in use (bus mastering, MSI enabled), or empty
 */
public record AffectedFunction(String address, int group, Owner owner, String inUse) {}
