package io.pciefarm.hotplug;

import io.pciefarm.config.ConfigLayout;
import io.pciefarm.config.ConfigSpace;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.Msi;
import io.pciefarm.spec.MsiX;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.topology.PciFunction;
import java.util.BitSet;

/**
 * How one port signals its hot-plug interrupt level (PCI Express Base, Software Notification of
 * Hot-Plug Events, with the MSI, MSI-X and Command register rules).
 *
 * <ul>
 *   <li>With MSI-X enabled, or else MSI, a rising level sends one message on the vector the
 *       PCI Express Capabilities register's Interrupt Message Number names. A message is a
 *       memory write: without Bus Master Enable nothing is sent and the edge is lost. A level
 *       that rises while the vector is masked (MSI Mask Bits; MSI-X Function Mask or the entry's
 *       Vector Control Mask) sets the vector's Pending bit instead, and unmasking while it is set
 *       sends the message. The Pending bit clears when the level falls first, so no stale
 *       message goes out.
 *   <li>Otherwise the level is an INTx emulation interrupt: Interrupt Status follows it whatever
 *       Interrupt Disable says, and INTx is asserted while the level is high and Interrupt
 *       Disable is clear, so clearing Interrupt Disable with the level high asserts it.
 * </ul>
 * The MSI-X table and Pending Bit Array live in BAR memory, which the farm does not serve: their
 * Mask and Pending bits are held here, every entry masked after reset as the spec requires.
 *
 * <p>Not thread-safe: the slot controller's lock guards it.
 */
final class PortInterrupt {
  private enum Mode { MSIX, MSI, INTX }

  private final ConfigSpace config;
  private final int exp;
  /** Capability offsets, or -1. */
  private final int msi;
  private final int msix;
  /** MSI Mask Bits and Pending Bits, or -1 without per-vector masking. */
  private final int msiMask;
  private final int msiPending;
  private final int msixEntries;
  private final BitSet msixMasked = new BitSet();
  private final BitSet msixPending = new BitSet();
  private boolean level;
  private boolean intxAsserted;

  PortInterrupt(PciFunction port) {
    config = port.config();
    ConfigLayout layout = port.model().layout();
    exp = layout.capability(CapabilityId.EXP);
    msi = layout.capability(CapabilityId.MSI);
    int msiControl = msi < 0 ? 0 : config.read(msi + Msi.CONTROL, 2);
    if ((msiControl & Msi.CONTROL_PER_VECTOR_MASK) != 0) {
      boolean wide = (msiControl & Msi.CONTROL_64BIT) != 0;
      msiMask = msi + (wide ? Msi.MASK_64 : Msi.MASK_32);
      msiPending = msi + (wide ? Msi.PENDING_64 : Msi.PENDING_32);
    } else {
      msiMask = -1;
      msiPending = -1;
    }
    msix = layout.capability(CapabilityId.MSIX);
    msixEntries = msix < 0 ? 0
        : (config.read(msix + MsiX.CONTROL, 2) & MsiX.CONTROL_TABLE_SIZE_MASK) + 1;
    reset();
  }

  /** The port was reset: its registers are at their defaults; every MSI-X entry is masked. */
  void reset() {
    level = false;
    intxAsserted = false;
    msixMasked.set(0, msixEntries);
    msixPending.clear();
  }

  /**
   * The hot-plug interrupt level is now {@code high}.
   *
   * @return how a rising edge was signalled, or null when the level did not rise
   */
  InterruptKind level(boolean high) {
    if (high == level) {
      return null;
    }
    level = high;
    if (high) {
      return raise();
    }
    intxAsserted = false;
    config.hardwareUpdate(Header.STATUS, 2, Header.STATUS_INTERRUPT, 0);
    pending(Mode.MSI, false);
    pending(Mode.MSIX, false);
    return null;
  }

  private InterruptKind raise() {
    Mode m = mode();
    if (m == Mode.INTX) {
      config.hardwareUpdate(Header.STATUS, 2, 0, Header.STATUS_INTERRUPT);
      intxAsserted = !intxDisabled();
      return intxAsserted ? InterruptKind.INTX : InterruptKind.SUPPRESSED;
    }
    if (masked(m)) {
      pending(m, true);
      return InterruptKind.SUPPRESSED;
    }
    return send(m);
  }

  /**
   * Software changed how the interrupt is delivered (Command, MSI, MSI-X). With the level high
   * that may assert INTx or send a pending message.
   *
   * @return what was signalled because of the change, or null
   */
  InterruptKind controlsChanged() {
    if (!level) {
      return null;
    }
    Mode m = mode();
    boolean intx = m == Mode.INTX;
    // Interrupt Status reports a pending INTx emulation interrupt; with MSI or MSI-X there is none.
    config.hardwareUpdate(Header.STATUS, 2, intx ? 0 : Header.STATUS_INTERRUPT,
        intx ? Header.STATUS_INTERRUPT : 0);
    if (intx) {
      boolean was = intxAsserted;
      intxAsserted = !intxDisabled();
      return intxAsserted && !was ? InterruptKind.INTX : null;
    }
    intxAsserted = false;
    if (pending(m) && !masked(m)) {
      pending(m, false);
      return send(m);
    }
    return null;
  }

  /**
   * Software wrote the Mask bit of MSI-X table entry {@code entry}'s Vector Control.
   *
   * @return what was signalled because of it (a pending message sent), or null
   */
  InterruptKind msixMask(int entry, boolean masked) {
    checkEntry(entry);
    msixMasked.set(entry, masked);
    return controlsChanged();
  }

  /** The Mask bit of MSI-X table entry {@code entry}. */
  boolean msixMasked(int entry) {
    checkEntry(entry);
    return msixMasked.get(entry);
  }

  /** The Pending Bit Array bit of MSI-X table entry {@code entry}. */
  boolean msixPending(int entry) {
    checkEntry(entry);
    return msixPending.get(entry);
  }

  /** True while INTx is asserted. */
  boolean intxAsserted() {
    return intxAsserted;
  }

  private void checkEntry(int entry) {
    if (msixEntries == 0) {
      throw new IllegalStateException("the port has no MSI-X capability");
    }
    if (entry < 0 || entry >= msixEntries) {
      throw new IllegalArgumentException("MSI-X entry " + entry + " is outside the table's 0.."
          + (msixEntries - 1));
    }
  }

  private Mode mode() {
    if (msix >= 0 && (config.read(msix + MsiX.CONTROL, 2) & MsiX.CONTROL_ENABLE) != 0) {
      return Mode.MSIX;
    }
    if (msi >= 0 && (config.read(msi + Msi.CONTROL, 2) & Msi.CONTROL_ENABLE) != 0) {
      return Mode.MSI;
    }
    return Mode.INTX;
  }

  /** The MSI vector offset or MSI-X entry of the hot-plug interrupt. */
  private int vector() {
    return (config.read(exp + PciExpress.CAPABILITIES, 2) & PciExpress.CAP_IRQ_MASK)
        >>> PciExpress.CAP_IRQ_SHIFT;
  }

  private boolean masked(Mode m) {
    int v = vector();
    if (m == Mode.MSIX) {
      return (config.read(msix + MsiX.CONTROL, 2) & MsiX.CONTROL_FUNCTION_MASK) != 0
          || msixMasked.get(v);
    }
    return msiMask >= 0 && (config.read(msiMask, 4) >>> v & 1) != 0;
  }

  private boolean pending(Mode m) {
    int v = vector();
    if (m == Mode.MSIX) {
      return msixPending.get(v);
    }
    return msiPending >= 0 && (config.read(msiPending, 4) >>> v & 1) != 0;
  }

  private void pending(Mode m, boolean set) {
    int v = vector();
    if (m == Mode.MSIX) {
      if (msixEntries > 0) {
        msixPending.set(v, set);
      }
    } else if (m == Mode.MSI && msiPending >= 0) {
      config.hardwareUpdate(msiPending, 4, set ? 0 : 1 << v, set ? 1 << v : 0);
    }
  }

  private InterruptKind send(Mode m) {
    if ((config.read(Header.COMMAND, 2) & Header.COMMAND_MASTER) == 0) {
      return InterruptKind.SUPPRESSED; // a message is a memory write: no bus mastering, none
    }
    return m == Mode.MSIX ? InterruptKind.MSIX : InterruptKind.MSI;
  }

  private boolean intxDisabled() {
    return (config.read(Header.COMMAND, 2) & Header.COMMAND_INTX_DISABLE) != 0;
  }
}
