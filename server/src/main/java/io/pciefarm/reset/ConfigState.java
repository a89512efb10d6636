package io.pciefarm.reset;

import io.pciefarm.config.ConfigLayout;
import io.pciefarm.config.ConfigSpace;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.ExtendedCapabilities;
import io.pciefarm.spec.Msi;
import io.pciefarm.spec.MsiX;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.PowerManagement;
import java.util.ArrayList;
import java.util.List;

/**
 * A function's configuration as Linux saves it around a reset ({@code pci_save_state}): the 16
 * header dwords, the PCI Express control registers, MSI and MSI-X, PM control, ACS control and
 * the AER masks and severities. Restored in Linux's order: capabilities first, then the header
 * from dword 15 down to 0, so Command (and with it decode) comes back last.
 */
public final class ConfigState {
  private final int[] offsets;
  private final int[] widths;
  private final int[] values;

  private ConfigState(int[] offsets, int[] widths, int[] values) {
    this.offsets = offsets;
    this.widths = widths;
    this.values = values;
  }

  /** Reads the registers to save from {@code space} as they are now. */
  public static ConfigState save(ConfigSpace space) {
    List<int[]> regs = registers(space.layout());
    int n = regs.size();
    int[] offsets = new int[n];
    int[] widths = new int[n];
    int[] values = new int[n];
    for (int i = 0; i < n; i++) {
      offsets[i] = regs.get(i)[0];
      widths[i] = regs.get(i)[1];
      values[i] = space.read(offsets[i], widths[i]);
    }
    return new ConfigState(offsets, widths, values);
  }

  /** Writes the saved values back, as software writes (masks apply, listeners hear them). */
  public void restore(ConfigSpace space) {
    for (int i = 0; i < offsets.length; i++) {
      space.write(offsets[i], widths[i], values[i]);
    }
  }

  /** The value saved for the register at {@code offset}, for tests; -1 when not saved. */
  public long saved(int offset) {
    for (int i = 0; i < offsets.length; i++) {
      if (offsets[i] == offset) {
        return values[i] & 0xFFFF_FFFFL;
      }
    }
    return -1;
  }

  private static List<int[]> registers(ConfigLayout l) {
    List<int[]> out = new ArrayList<>();
    int exp = l.capability(CapabilityId.EXP);
    if (exp >= 0) {
      for (int r : new int[] {PciExpress.DEVICE_CONTROL, PciExpress.LINK_CONTROL,
          PciExpress.SLOT_CONTROL, PciExpress.ROOT_CONTROL, PciExpress.DEVICE_CONTROL_2,
          PciExpress.LINK_CONTROL_2, PciExpress.SLOT_CONTROL_2}) {
        out.add(new int[] {exp + r, 2});
      }
    }
    int pm = l.capability(CapabilityId.PM);
    if (pm >= 0) {
      out.add(new int[] {pm + PowerManagement.PMCSR, 2});
    }
    int msi = l.capability(CapabilityId.MSI);
    if (msi >= 0) {
      int ctl = l.defaultValue(msi + Msi.CONTROL, 2);
      boolean is64 = (ctl & Msi.CONTROL_64BIT) != 0;
      out.add(new int[] {msi + Msi.ADDRESS_LO, 4});
      if (is64) {
        out.add(new int[] {msi + 8, 4});
      }
      out.add(new int[] {msi + (is64 ? 12 : 8), 2});
      if ((ctl & Msi.CONTROL_PER_VECTOR_MASK) != 0) {
        out.add(new int[] {msi + (is64 ? 16 : 12), 4});
      }
      out.add(new int[] {msi + Msi.CONTROL, 2});
    }
    int msix = l.capability(CapabilityId.MSIX);
    if (msix >= 0) {
      out.add(new int[] {msix + MsiX.CONTROL, 2});
    }
    int acs = l.extendedCapability(CapabilityId.EXT_ACS);
    if (acs >= 0) {
      out.add(new int[] {acs + ExtendedCapabilities.ACS_CONTROL, 2});
    }
    int aer = l.extendedCapability(CapabilityId.EXT_AER);
    if (aer >= 0) {
      for (int r : new int[] {ExtendedCapabilities.AER_UNCOR_MASK,
          ExtendedCapabilities.AER_UNCOR_SEVERITY, ExtendedCapabilities.AER_COR_MASK,
          ExtendedCapabilities.AER_CAP_CONTROL}) {
        out.add(new int[] {aer + r, 4});
      }
    }
    for (int dword = 15; dword >= 0; dword--) {
      out.add(new int[] {dword * 4, 4});
    }
    return out;
  }
}
