package io.pciefarm.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.config.ConfigLayout;
import io.pciefarm.config.ConfigSpace;
import io.pciefarm.export.LspciDump;
import io.pciefarm.export.LspciDump.DumpDepth;
import io.pciefarm.export.LspciDump.DumpedFunction;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.PortType;
import io.pciefarm.testing.Lspci;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CatalogTest {

  @Test
  void everyModelIsWellFormed() {
    for (DeviceModel m : Catalog.all()) {
      assertTrue(m.function(0) != null, m.name());
      for (int fn : m.functionNumbers()) {
        FunctionModel f = m.function(fn);
        int headerType = f.layout().defaultValue(Header.HEADER_TYPE, 1);
        assertEquals(m.isMultiFunction(), (headerType & 0x80) != 0, m.name() + " multi-function bit");
        assertEquals(f.isExpress(), f.layout().size() == ConfigLayout.PCIE_SIZE, m.name());
        assertEquals(f.isExpress(), f.layout().capability(CapabilityId.EXP) >= 0, m.name());
        if (f.isExpress()) {
          assertEquals(f.portType().isBridge(), f.isBridge(), m.name());
        }
        assertFalse(m.summary().isBlank(), m.name());
      }
    }
  }

  @Test
  void unknownModelListsTheCatalog() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Catalog.get("flux-capacitor"));
    assertTrue(e.getMessage().contains("nvme-ssd"), e.getMessage());
  }

  @Test
  void classCodesAreTheRealOnes() {
    Map<String, Integer> expected = Map.ofEntries(
        Map.entry("root-port", 0x060400), Map.entry("switch-upstream-port", 0x060400),
        Map.entry("pcie-to-pci-bridge", 0x060400), Map.entry("nvme-ssd", 0x010802),
        Map.entry("nic-sriov", 0x020000), Map.entry("gpu", 0x030000),
        Map.entry("usb3-bus-reset-only", 0x0c0330), Map.entry("sata-ahci-subpage-bar", 0x010601),
        Map.entry("pci-e1000", 0x020000), Map.entry("pci-es1371", 0x040100));
    expected.forEach((name, cls) -> assertEquals(cls, Catalog.get(name).function(0).classCode(), name));
    assertEquals(0x040300, Catalog.get("gpu").function(1).classCode());
  }

  @Test
  void portsComeWithAndWithoutSlotsAndAcs() {
    record Want(String name, boolean slot, boolean acs) {}
    for (Want w : List.of(new Want("root-port", false, false), new Want("root-port-acs", false, true),
        new Want("root-port-hotplug", true, false), new Want("root-port-hotplug-acs", true, true),
        new Want("switch-downstream-port-hotplug", true, true))) {
      FunctionModel f = Catalog.get(w.name()).function(0);
      assertEquals(w.slot(), f.hasSlot(), w.name());
      assertEquals(w.acs(), f.layout().extendedCapability(CapabilityId.EXT_ACS) >= 0, w.name());
    }
    assertEquals(PortType.UPSTREAM_PORT, Catalog.get("switch-upstream-port").function(0).portType());
    assertEquals(PortType.PCIE_TO_PCI_BRIDGE, Catalog.get("pcie-to-pci-bridge").function(0).portType());
    assertEquals(null, Catalog.get("pci-e1000").function(0).portType());
    assertEquals(ConfigLayout.CONVENTIONAL_SIZE, Catalog.get("pci-e1000").function(0).layout().size());
  }

  @Test
  void resetBehaviourAndQuirksAreDeclared() {
    FunctionModel nvme = Catalog.get("nvme-ssd").function(0);
    assertTrue(nvme.flrCapable());
    assertTrue(nvme.layout().capability(CapabilityId.MSIX) >= 0);
    assertEquals(io.pciefarm.config.Bar.Kind.MEM64, nvme.bars().get(0).kind());
    assertTrue(nvme.has(Quirk.DEVICE_SPECIFIC_RESET));

    FunctionModel nic = Catalog.get("nic-sriov").function(0);
    assertTrue(nic.flrCapable());
    assertTrue(nic.layout().extendedCapability(CapabilityId.EXT_SRIOV) >= 0);

    DeviceModel gpu = Catalog.get("gpu");
    assertEquals(List.of(0, 1), gpu.functionNumbers());
    for (int fn : gpu.functionNumbers()) {
      assertTrue(gpu.function(fn).pmResetAdvertised(), "advertises PM reset");
      assertTrue(gpu.function(fn).has(Quirk.PM_RESET_NO_EFFECT), "which does nothing");
      assertFalse(gpu.function(fn).flrCapable());
    }

    FunctionModel usb = Catalog.get("usb3-bus-reset-only").function(0);
    assertFalse(usb.flrCapable() || usb.afFlrCapable() || usb.pmResetAdvertised());

    assertTrue(Catalog.get("nvme-ssd-slow-flr").function(0).flrReadyDelay()
        .compareTo(Duration.ofMillis(100)) > 0);
    assertTrue(Catalog.get("nic-flr-hang").function(0).has(Quirk.NEVER_READY_AFTER_FLR));
    assertTrue(Catalog.get("sata-ahci-subpage-bar").function(0).smallestMemoryBar() < 4096);
    assertTrue(Catalog.get("qat-rciep").function(0).afFlrCapable());
  }

  /** Model 0-based index i dumps at bus i + 1, as `pciefarm catalog -xxxx` does. */
  private static String catalogDump() {
    List<DumpedFunction> out = new ArrayList<>();
    int bus = 1;
    for (DeviceModel m : Catalog.all()) {
      for (int fn : m.functionNumbers()) {
        FunctionModel f = m.function(fn);
        out.add(DumpedFunction.of(0, bus, 0, fn, f.description(), new ConfigSpace(f.layout())));
      }
      bus++;
    }
    return LspciDump.format(out, DumpDepth.EXTENDED);
  }

  private static final Map<Integer, String> CAP_NAMES = Map.of(
      CapabilityId.PM, "Power Management", CapabilityId.MSI, "MSI:",
      CapabilityId.MSIX, "MSI-X:", CapabilityId.EXP, "Express",
      CapabilityId.AF, "PCI Advanced Features", CapabilityId.BRIDGE_SUBSYSTEM, "Subsystem:");
  private static final Map<Integer, String> EXT_NAMES = Map.of(
      CapabilityId.EXT_AER, "Advanced Error Reporting",
      CapabilityId.EXT_DSN, "Device Serial Number",
      CapabilityId.EXT_ACS, "Access Control Services",
      CapabilityId.EXT_ARI, "Alternative Routing-ID Interpretation",
      CapabilityId.EXT_SRIOV, "Single Root I/O Virtualization");

  /** The real lspci decodes every model, finds every capability, and reports no problem. */
  @Test
  void lspciDecodesEveryModelCompletely() {
    Lspci.assumeInstalled();
    String decoded = Lspci.decode(catalogDump(), "-vvv");
    assertEquals(List.of(), Lspci.problems(decoded));
    String[] blocks = decoded.split("\n\n");
    int bus = 1;
    int block = 0;
    for (DeviceModel m : Catalog.all()) {
      for (int fn : m.functionNumbers()) {
        String text = blocks[block++];
        String address = String.format("%02x:00.%d", bus, fn);
        assertTrue(text.startsWith(address), m.name() + ": expected " + address + " in\n" + text);
        for (ConfigLayout.Placement p : m.function(fn).layout().capabilities()) {
          String name = p.extended() ? EXT_NAMES.get(p.id()) : CAP_NAMES.get(p.id());
          String at = p.extended() ? String.format("Capabilities: [%x v", p.offset())
              : String.format("Capabilities: [%x] ", p.offset());
          boolean found = text.lines().anyMatch(l -> l.contains(at) && l.contains(name));
          assertTrue(found, m.name() + "." + fn + ": lspci shows no " + name + " at " + at
              + "\n" + text);
        }
      }
      bus++;
    }
    assertEquals(block, blocks.length, "one block per function");
  }
}
