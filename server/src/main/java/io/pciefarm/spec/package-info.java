/**
 * The PCI and PCI Express specifications as constants: register offsets, bit names and
 * encodings, with no behaviour. Names follow the specs (and Linux's {@code pci_regs.h}) so a
 * reader who knows {@code setpci} finds them by name. Emulation lives in {@code config},
 * {@code caps} and {@code device}; nothing here allocates or decides.
 */
package io.pciefarm.spec;
