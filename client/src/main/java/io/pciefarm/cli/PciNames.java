package io.pciefarm.cli;

import java.util.Map;

/** Names lspci prints for class codes and capabilities: the ones the catalog uses, and more. */
final class PciNames {
  private PciNames() {}

  private static final Map<Integer, String> CLASSES = Map.ofEntries(
      Map.entry(0x0000, "Non-VGA unclassified device"),
      Map.entry(0x0100, "SCSI storage controller"),
      Map.entry(0x0101, "IDE interface"),
      Map.entry(0x0104, "RAID bus controller"),
      Map.entry(0x0106, "SATA controller"),
      Map.entry(0x0107, "Serial Attached SCSI controller"),
      Map.entry(0x0108, "Non-Volatile memory controller"),
      Map.entry(0x0180, "Mass storage controller"),
      Map.entry(0x0200, "Ethernet controller"),
      Map.entry(0x0280, "Network controller"),
      Map.entry(0x0300, "VGA compatible controller"),
      Map.entry(0x0302, "3D controller"),
      Map.entry(0x0380, "Display controller"),
      Map.entry(0x0401, "Multimedia audio controller"),
      Map.entry(0x0403, "Audio device"),
      Map.entry(0x0580, "Memory controller"),
      Map.entry(0x0600, "Host bridge"),
      Map.entry(0x0601, "ISA bridge"),
      Map.entry(0x0604, "PCI bridge"),
      Map.entry(0x0607, "CardBus bridge"),
      Map.entry(0x0680, "Bridge"),
      Map.entry(0x0700, "Serial controller"),
      Map.entry(0x0880, "System peripheral"),
      Map.entry(0x0b40, "Co-processor"),
      Map.entry(0x0c03, "USB controller"),
      Map.entry(0x0c05, "SMBus"),
      Map.entry(0x1200, "Processing accelerators"),
      Map.entry(0x1280, "Processing accelerators"));

  private static final Map<Integer, String> CAPS = Map.ofEntries(
      Map.entry(0x01, "Power Management"),
      Map.entry(0x05, "MSI"),
      Map.entry(0x09, "Vendor Specific Information"),
      Map.entry(0x0d, "Subsystem"),
      Map.entry(0x10, "Express"),
      Map.entry(0x11, "MSI-X"),
      Map.entry(0x12, "SATA HBA"),
      Map.entry(0x13, "PCI Advanced Features"));

  private static final Map<Integer, String> EXT_CAPS = Map.ofEntries(
      Map.entry(0x0001, "Advanced Error Reporting"),
      Map.entry(0x0002, "Virtual Channel"),
      Map.entry(0x0003, "Device Serial Number"),
      Map.entry(0x000b, "Vendor Specific Information"),
      Map.entry(0x000d, "Access Control Services"),
      Map.entry(0x000e, "Alternative Routing-ID Interpretation (ARI)"),
      Map.entry(0x000f, "Address Translation Service (ATS)"),
      Map.entry(0x0010, "Single Root I/O Virtualization (SR-IOV)"),
      Map.entry(0x0018, "Latency Tolerance Reporting"),
      Map.entry(0x0019, "Secondary PCI Express"),
      Map.entry(0x001d, "Downstream Port Containment"),
      Map.entry(0x001e, "L1 PM Substates"));

  /** lspci's name for the base class and subclass of a 24-bit class code. */
  static String className(int classCode) {
    int cls = classCode >>> 8;
    String name = CLASSES.get(cls);
    return name != null ? name : String.format("Class %04x", cls);
  }

  static String capabilityName(int id) {
    String name = CAPS.get(id);
    return name != null ? name : String.format("Capability ID %#04x", id);
  }

  static String extendedCapabilityName(int id) {
    String name = EXT_CAPS.get(id);
    return name != null ? name : String.format("Extended Capability ID %#06x", id);
  }
}
