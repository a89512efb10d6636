package io.pciefarm.caps;

import io.pciefarm.config.Capability;
import io.pciefarm.config.LayoutBuilder;
import io.pciefarm.config.Register;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.MsiX;

/**
 * MSI-X capability (ID 11h), 12 bytes.
 *
 * <ul>
 *   <li>Message Control (+2), hooked as {@link Register#MSIX_CONTROL} (2 bytes): Table Size
 *       (10:0, N-1) RO; Function Mask (14) and MSI-X Enable (15) RW, reset 0; bits 13:11 read 0.
 *   <li>Table Offset/BIR (+4) and PBA Offset/BIR (+8): RO.
 * </ul>
 * The table and PBA themselves live in BAR memory, outside config space.
 *
 * @param tableSize entries in the table, 1..2048
 * @param tableBir BAR (0..5) holding the table
 * @param tableOffset byte offset of the table in that BAR, a multiple of 8
 * @param pbaBir BAR (0..5) holding the Pending Bit Array
 * @param pbaOffset byte offset of the PBA in that BAR, a multiple of 8
 */
public record MsiXCapability(int tableSize, int tableBir, int tableOffset, int pbaBir,
    int pbaOffset) implements Capability {

  public MsiXCapability {
    if (tableSize < 1 || tableSize > MsiX.MAX_TABLE_SIZE) {
      throw new IllegalArgumentException("MSI-X table size " + tableSize + " is outside 1.."
          + MsiX.MAX_TABLE_SIZE);
    }
    checkBir("table", tableBir);
    checkBir("PBA", pbaBir);
    checkOffset("table", tableOffset);
    checkOffset("PBA", pbaOffset);
  }

  public static MsiXCapability of(int tableSize, int tableBir, int tableOffset, int pbaBir,
      int pbaOffset) {
    return new MsiXCapability(tableSize, tableBir, tableOffset, pbaBir, pbaOffset);
  }

  private static void checkBir(String what, int bir) {
    if (bir < 0 || bir > 5) {
      throw new IllegalArgumentException("MSI-X " + what + " BIR " + bir + " is not a BAR 0..5");
    }
  }

  private static void checkOffset(String what, int offset) {
    // The field is bits 31:3 of a dword: any multiple of 8 below 4 GiB, seen unsigned.
    if ((offset & MsiX.BIR_MASK) != 0) {
      throw new IllegalArgumentException(String.format(
          "MSI-X %s offset 0x%x is not a multiple of 8", what, offset));
    }
  }

  @Override
  public int id() {
    return CapabilityId.MSIX;
  }

  @Override
  public int length() {
    return MsiX.LENGTH;
  }

  @Override
  public void install(LayoutBuilder layout, int base) {
    int control = base + MsiX.CONTROL;
    layout.value(control, 2, tableSize - 1);
    layout.rw(control, 2, MsiX.CONTROL_FUNCTION_MASK | MsiX.CONTROL_ENABLE);
    layout.hook(Register.MSIX_CONTROL, control, 2);
    layout.value(base + MsiX.TABLE, 4, tableOffset | tableBir);
    layout.value(base + MsiX.PBA, 4, pbaOffset | pbaBir);
  }
}
