package io.pciefarm.cli;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The register names setpci knows: header registers (with the header types that have them) and
 * capability names, which stand for the capability's position in the function's list.
 */
final class Registers {
  /** Which header layouts a register exists in. */
  static final int TYPE0 = 1;
  static final int TYPE1 = 2;
  static final int CARDBUS = 4;
  static final int ANY = 0;

  /** A named register. {@code capability} kinds: 0 none, 1 standard, 2 extended. */
  record Named(String name, int offset, int width, int headerTypes, int capabilityKind,
      int capabilityId) {}

  private static final Map<String, Named> BY_NAME = new LinkedHashMap<>();

  private static void reg(int headerTypes, int width, String... offsetsAndNames) {
    for (int i = 0; i < offsetsAndNames.length; i += 2) {
      Named n = new Named(offsetsAndNames[i + 1], Integer.parseInt(offsetsAndNames[i], 16),
          width, headerTypes, 0, 0);
      BY_NAME.put(n.name(), n);
    }
  }

  private static void caps(int kind, String... idsAndNames) {
    for (int i = 0; i < idsAndNames.length; i += 2) {
      Named n = new Named(idsAndNames[i + 1], 0, 0, ANY, kind,
          Integer.parseInt(idsAndNames[i], 16));
      BY_NAME.put(n.name(), n);
    }
  }

  static {
    // Common to every header.
    reg(ANY, 2, "00", "VENDOR_ID", "02", "DEVICE_ID", "04", "COMMAND", "06", "STATUS");
    reg(ANY, 1, "08", "REVISION", "09", "CLASS_PROG");
    reg(ANY, 2, "0a", "CLASS_DEVICE");
    reg(ANY, 1, "0c", "CACHE_LINE_SIZE", "0d", "LATENCY_TIMER", "0e", "HEADER_TYPE",
        "0f", "BIST");
    // Type 0 (and the two BARs a bridge has too).
    reg(TYPE0 | TYPE1, 4, "10", "BASE_ADDRESS_0", "14", "BASE_ADDRESS_1");
    reg(TYPE0, 4, "18", "BASE_ADDRESS_2", "1c", "BASE_ADDRESS_3", "20", "BASE_ADDRESS_4",
        "24", "BASE_ADDRESS_5", "28", "CARDBUS_CIS");
    reg(TYPE0, 2, "2c", "SUBSYSTEM_VENDOR_ID", "2e", "SUBSYSTEM_ID");
    reg(TYPE0, 4, "30", "ROM_ADDRESS");
    reg(TYPE0 | TYPE1, 1, "34", "CAPABILITIES", "3c", "INTERRUPT_LINE", "3d", "INTERRUPT_PIN");
    reg(TYPE0, 1, "3e", "MIN_GNT", "3f", "MAX_LAT");
    // Type 1: bridges and ports.
    reg(TYPE1, 1, "18", "PRIMARY_BUS", "19", "SECONDARY_BUS", "1a", "SUBORDINATE_BUS",
        "1b", "SEC_LATENCY_TIMER", "1c", "IO_BASE", "1d", "IO_LIMIT");
    reg(TYPE1, 2, "1e", "SEC_STATUS", "20", "MEMORY_BASE", "22", "MEMORY_LIMIT",
        "24", "PREF_MEMORY_BASE", "26", "PREF_MEMORY_LIMIT");
    reg(TYPE1, 4, "28", "PREF_BASE_UPPER32", "2c", "PREF_LIMIT_UPPER32");
    reg(TYPE1, 2, "30", "IO_BASE_UPPER16", "32", "IO_LIMIT_UPPER16");
    reg(TYPE1, 4, "38", "BRIDGE_ROM_ADDRESS");
    reg(TYPE1, 2, "3e", "BRIDGE_CONTROL");
    // Type 2: CardBus bridges.
    reg(CARDBUS, 4, "10", "CB_CARDBUS_BASE");
    reg(CARDBUS, 2, "14", "CB_CAPABILITIES", "16", "CB_SEC_STATUS");
    reg(CARDBUS, 1, "18", "CB_BUS_NUMBER", "19", "CB_CARDBUS_NUMBER", "1a", "CB_SUBORDINATE_BUS",
        "1b", "CB_CARDBUS_LATENCY");
    reg(CARDBUS, 4, "1c", "CB_MEMORY_BASE_0", "20", "CB_MEMORY_LIMIT_0", "24", "CB_MEMORY_BASE_1",
        "28", "CB_MEMORY_LIMIT_1");
    reg(CARDBUS, 2, "2c", "CB_IO_BASE_0", "2e", "CB_IO_BASE_0_HI", "30", "CB_IO_LIMIT_0",
        "32", "CB_IO_LIMIT_0_HI", "34", "CB_IO_BASE_1", "36", "CB_IO_BASE_1_HI",
        "38", "CB_IO_LIMIT_1", "3a", "CB_IO_LIMIT_1_HI", "3e", "CB_BRIDGE_CONTROL",
        "40", "CB_SUBSYSTEM_VENDOR_ID", "42", "CB_SUBSYSTEM_ID");
    reg(CARDBUS, 4, "44", "CB_LEGACY_MODE_BASE");
    // Capabilities, by ID: the name stands for where the function's capability sits.
    caps(1, "01", "CAP_PM", "02", "CAP_AGP", "03", "CAP_VPD", "04", "CAP_SLOTID",
        "05", "CAP_MSI", "06", "CAP_CHSWP", "07", "CAP_PCIX", "08", "CAP_HT", "09", "CAP_VNDR",
        "0a", "CAP_DBG", "0b", "CAP_CCRC", "0c", "CAP_HOTPLUG", "0d", "CAP_SSVID",
        "0e", "CAP_AGP3", "0f", "CAP_SECURE", "10", "CAP_EXP", "11", "CAP_MSIX",
        "12", "CAP_SATA", "13", "CAP_AF", "14", "CAP_EA");
    caps(2, "01", "ECAP_AER", "02", "ECAP_VC", "03", "ECAP_DSN", "04", "ECAP_PB",
        "05", "ECAP_RCLINK", "06", "ECAP_RCILINK", "07", "ECAP_RCEC", "08", "ECAP_MFVC",
        "09", "ECAP_VC2", "0a", "ECAP_RBCB", "0b", "ECAP_VNDR", "0d", "ECAP_ACS",
        "0e", "ECAP_ARI", "0f", "ECAP_ATS", "10", "ECAP_SRIOV", "11", "ECAP_MRIOV",
        "12", "ECAP_MCAST", "13", "ECAP_PRI", "15", "ECAP_REBAR", "16", "ECAP_DPA",
        "17", "ECAP_TPH", "18", "ECAP_LTR", "19", "ECAP_SECPCI", "1a", "ECAP_PMUX",
        "1b", "ECAP_PASID", "1c", "ECAP_LNR", "1d", "ECAP_DPC", "1e", "ECAP_L1PM",
        "1f", "ECAP_PTM", "20", "ECAP_M_PCIE", "21", "ECAP_FRS", "22", "ECAP_RTR",
        "23", "ECAP_DVSEC", "24", "ECAP_VF_REBAR", "25", "ECAP_DLNK", "26", "ECAP_16GT",
        "27", "ECAP_LMR", "28", "ECAP_HIER_ID", "29", "ECAP_NPEM", "2a", "ECAP_32GT",
        "30", "ECAP_IDE", "31", "ECAP_64GT");
  }

  private Registers() {}

  /** The register called {@code name} (any case), or null. */
  static Named byName(String name) {
    return BY_NAME.get(name.toUpperCase(Locale.ROOT));
  }

  static List<Named> all() {
    return Collections.unmodifiableList(new ArrayList<>(BY_NAME.values()));
  }
}
