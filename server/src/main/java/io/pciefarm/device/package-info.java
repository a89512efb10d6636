/**
 * Device models as declarations: what a function's config space looks like at reset
 * ({@link io.pciefarm.device.FunctionModel}), how functions make a device
 * ({@link io.pciefarm.device.DeviceModel}), the named misbehaviours real hardware has
 * ({@link io.pciefarm.device.Quirk}), and the {@link io.pciefarm.device.Catalog} of models a
 * topology names. A model is immutable and shared by every instance of it.
 */
package io.pciefarm.device;
