/**
 * Exports of emulated config space in formats other tools read.
 *
 * <p>{@link io.pciefarm.export.LspciDump} writes and reads the hex dumps {@code lspci -x},
 * {@code -xxx} and {@code -xxxx} print, which {@code lspci -F FILE} decodes as if the functions
 * were real hardware. That makes pciutils an independent oracle for the emulation: a dump of an
 * emulated hierarchy must decode with {@code lspci -F FILE -vvv} exactly as a real one would, and
 * {@code lspci -F FILE -t} must draw the tree the bridges' bus numbers describe.
 */
package io.pciefarm.export;
