/**
 * The config space of one function, as data.
 *
 * <p>A {@link io.pciefarm.config.ConfigLayout} is what a device <em>model</em> declares: the
 * reset value of every dword and, per bit, whether it is writable ({@code wmask}), write-one-to-
 * clear ({@code w1cmask}), sticky, or a write-one trigger that reads back 0. It is immutable and
 * shared by every instance of the model. A {@link io.pciefarm.config.ConfigSpace} is one live
 * instance: its values, stored as 256-byte chunks that point at the layout's defaults until the
 * first write to them, so an idle function costs a few dozen bytes, not 4 KiB.
 *
 * <p>Reads are acquire loads; writes are compare-and-set loops. Registers with behaviour are
 * {@link io.pciefarm.config.HookedRegister hooked}: after a write lands the instance reports it to
 * its {@link io.pciefarm.config.RegisterListener}, which decides what the write means (a reset, a
 * hot-plug command, a routing change). The config space itself never acts.
 */
package io.pciefarm.config;
