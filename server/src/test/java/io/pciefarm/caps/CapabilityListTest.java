package io.pciefarm.caps;

import static io.pciefarm.caps.Probe.assertHex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.config.Bar;
import io.pciefarm.config.Capability;
import io.pciefarm.config.ConfigLayout;
import io.pciefarm.config.ConfigLayout.Placement;
import io.pciefarm.config.ConfigSpace;
import io.pciefarm.config.LayoutBuilder;
import io.pciefarm.spec.ExtendedCapabilities;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.PortType;
import io.pciefarm.spec.PowerManagement;
import io.pciefarm.testing.Lspci;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Many capabilities in one function: the lists software walks through config reads must be
 * well formed and match what the layout says it placed; lspci, an independent decoder, must
 * read them without complaint.
 */
class CapabilityListTest {
  private static final List<Capability> ENDPOINT_CAPS = List.of(
      PowerManagementCapability.builder().pmeSupport(PowerManagement.PME_SUPPORT_D0
          | PowerManagement.PME_SUPPORT_D3HOT | PowerManagement.PME_SUPPORT_D3COLD).build(),
      MsiCapability.builder().vectors(32).perVectorMask(true).build(),
      MsiXCapability.of(64, 0, 0x2000, 0, 0x3000),
      PciExpressCapability.builder(PortType.ENDPOINT).flr(true).maxPayload(512)
          .link(PciExpress.LINK_SPEED_16GT, 4).build(),
      VendorSpecificCapability.of(new byte[] {1, 2, 3, 4, 5}),
      AdvancedFeaturesCapability.of(true, true),
      AerCapability.forPortType(PortType.ENDPOINT),
      DsnCapability.of(0x0123456789ABCDEFL),
      AcsCapability.of(ExtendedCapabilities.ACS_SV | ExtendedCapabilities.ACS_RR
          | ExtendedCapabilities.ACS_CR | ExtendedCapabilities.ACS_UF
          | ExtendedCapabilities.ACS_DT),
      AriCapability.of(1),
      SrIovCapability.builder().totalVfs(16).vfOffset(0x80).vfStride(1).vfDeviceId(0x10ED)
          .vfBar(0, Bar.mem64Prefetchable(0x4000)).vfBar(2, Bar.mem32(0x1000)).build());

  private static final List<Capability> ROOT_PORT_CAPS = List.of(
      PciExpressCapability.builder(PortType.ROOT_PORT)
          .slot(SlotCapabilities.pciehp().withPhysicalSlot(7)).rrsSoftwareVisibility(true)
          .ariForwarding(true).link(PciExpress.LINK_SPEED_8GT, 16).build(),
      MsiCapability.builder().build(),
      PowerManagementCapability.builder().pmeSupport(PowerManagement.PME_SUPPORT_D0
          | PowerManagement.PME_SUPPORT_D3HOT).build(),
      BridgeSubsystemCapability.of(0x1B36, 0x0001),
      AerCapability.forPortType(PortType.ROOT_PORT),
      AcsCapability.of(ExtendedCapabilities.ACS_ISOLATION | ExtendedCapabilities.ACS_TB),
      DsnCapability.of(42));

  private static ConfigLayout endpoint() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    b.value(Header.VENDOR_ID, 2, 0x1B36).value(Header.DEVICE_ID, 2, 0x0010)
        .value(Header.CLASS_PROG, 1, 0x02).value(Header.CLASS_DEVICE, 2, 0x0108)
        .value(Header.HEADER_TYPE, 1, Header.HEADER_TYPE_NORMAL);
    ENDPOINT_CAPS.forEach(b::add);
    return b.build();
  }

  private static ConfigLayout rootPort() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    b.value(Header.VENDOR_ID, 2, 0x1B36).value(Header.DEVICE_ID, 2, 0x000C)
        .value(Header.CLASS_DEVICE, 2, 0x0604)
        .value(Header.HEADER_TYPE, 1, Header.HEADER_TYPE_BRIDGE);
    ROOT_PORT_CAPS.forEach(b::add);
    return b.build();
  }

  /** Walks the conventional list from 34h as software does. */
  private static List<Placement> walkConventional(ConfigSpace s) {
    assertTrue((s.read(Header.STATUS, 2) & Header.STATUS_CAP_LIST) != 0, "Capabilities List");
    List<Placement> found = new ArrayList<>();
    Set<Integer> seen = new HashSet<>();
    int ptr = s.read(Header.CAPABILITY_LIST, 1);
    while (ptr != 0) {
      assertEquals(0, ptr & 3, "pointer 0x" + Integer.toHexString(ptr) + " is dword aligned");
      assertTrue(ptr >= 0x40 && ptr <= 0xFC, "pointer 0x" + Integer.toHexString(ptr)
          + " lies in 40h..FCh");
      assertTrue(seen.add(ptr), "the list loops at 0x" + Integer.toHexString(ptr));
      found.add(new Placement(s.read(ptr, 1), ptr, 0, false));
      ptr = s.read(ptr + 1, 1);
    }
    return found;
  }

  /** Walks the extended list from 100h as software does. */
  private static List<Placement> walkExtended(ConfigSpace s, List<Integer> versions) {
    List<Placement> found = new ArrayList<>();
    Set<Integer> seen = new HashSet<>();
    int ptr = 0x100;
    while (true) {
      assertEquals(0, ptr & 3, "pointer 0x" + Integer.toHexString(ptr) + " is dword aligned");
      assertTrue(ptr >= 0x100 && ptr <= 0xFFC, "pointer 0x" + Integer.toHexString(ptr)
          + " lies in 100h..FFCh");
      assertTrue(seen.add(ptr), "the list loops at 0x" + Integer.toHexString(ptr));
      int header = s.read(ptr, 4);
      assertNotEquals(0, header, "extended header at 0x" + Integer.toHexString(ptr));
      found.add(new Placement(ExtendedCapabilities.headerId(header), ptr, 0, true));
      versions.add(ExtendedCapabilities.headerVersion(header));
      int next = ExtendedCapabilities.headerNext(header);
      if (next == 0) {
        return found;
      }
      ptr = next;
    }
  }

  private static List<Placement> withoutLength(List<Placement> ps, boolean extended) {
    return ps.stream().filter(p -> p.extended() == extended)
        .map(p -> new Placement(p.id(), p.offset(), 0, p.extended())).toList();
  }

  private static void assertWellFormed(ConfigLayout layout, List<Capability> caps) {
    ConfigSpace s = new ConfigSpace(layout);
    List<Placement> placed = layout.capabilities();
    assertEquals(caps.size(), placed.size());
    assertEquals(withoutLength(placed, false), walkConventional(s), "conventional list");
    List<Integer> versions = new ArrayList<>();
    assertEquals(withoutLength(placed, true), walkExtended(s, versions), "extended list");
    assertEquals(caps.stream().filter(Capability::extended).map(Capability::version).toList(),
        versions, "extended versions");

    // every structure lies inside its list's range and owns its bytes alone
    List<Placement> sorted = new ArrayList<>(placed);
    sorted.sort(Comparator.comparingInt(Placement::offset));
    for (int i = 0; i < sorted.size(); i++) {
      Placement p = sorted.get(i);
      int end = p.offset() + p.length();
      assertTrue(end <= (p.extended() ? 0x1000 : 0x100), p + " leaves its range");
      if (i + 1 < sorted.size()) {
        assertTrue(end <= sorted.get(i + 1).offset(), p + " overlaps " + sorted.get(i + 1));
      }
    }
    for (int i = 0; i < caps.size(); i++) {
      assertEquals(caps.get(i).id(), placed.get(i).id());
      assertEquals(caps.get(i).length(), placed.get(i).length());
    }
  }

  @Test
  void endpointListsAreWellFormed() {
    ConfigLayout layout = endpoint();
    assertWellFormed(layout, ENDPOINT_CAPS);
    // spot-check the packing: PM 40h (8), MSI 48h (24), MSI-X 60h (12), PCIe 6Ch (3Ch),
    // vendor A8h (8), AF B0h
    assertEquals(List.of(0x40, 0x48, 0x60, 0x6C, 0xA8, 0xB0, 0x100, 0x12C, 0x138, 0x140, 0x148),
        layout.capabilities().stream().map(Placement::offset).toList());
  }

  @Test
  void rootPortListsAreWellFormed() {
    assertWellFormed(rootPort(), ROOT_PORT_CAPS);
  }

  @Test
  void overlappingPlacementsAreRefused() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    assertEquals(0x40, b.add(PowerManagementCapability.builder().build()));
    assertThrows(IllegalStateException.class,
        () -> b.addAt(0x44, MsiXCapability.of(1, 0, 0, 0, 8)), "inside PM");
    assertThrows(IllegalStateException.class,
        () -> b.addAt(0x3C, MsiXCapability.of(1, 0, 0, 0, 8)), "over the header");
    assertThrows(IllegalStateException.class,
        () -> b.addAt(0x4A, MsiXCapability.of(1, 0, 0, 0, 8)), "misaligned");
    assertThrows(IllegalStateException.class,
        () -> b.addAt(0xF8, MsiXCapability.of(1, 0, 0, 0, 8)), "past FFh");
    assertEquals(0x100, b.add(AerCapability.forPortType(PortType.ENDPOINT)));
    assertThrows(IllegalStateException.class, () -> b.addAt(0x128, DsnCapability.of(1)),
        "inside AER (100h..12Bh)");
    assertThrows(IllegalStateException.class, () -> b.addAt(0xFF8, DsnCapability.of(1)),
        "past FFFh");
    assertEquals(0x12C, b.addAt(0x12C, DsnCapability.of(1)));
    assertEquals(0x48, b.addAt(0x48, MsiXCapability.of(1, 0, 0, 0, 8)));

    LayoutBuilder conventional = new LayoutBuilder(ConfigLayout.CONVENTIONAL_SIZE);
    assertThrows(IllegalStateException.class, () -> conventional.add(DsnCapability.of(1)),
        "extended capabilities need 4 KiB");
  }

  @Test
  void capabilitiesAreFoundByIdThroughTheLayout() {
    ConfigLayout layout = endpoint();
    assertEquals(0x6C, layout.capability(0x10));
    assertEquals(0x148, layout.extendedCapability(0x10));
    assertEquals(-1, layout.capability(0x0D));
    assertHex(0x0002, new ConfigSpace(layout).read(0x6C + PciExpress.CAPABILITIES, 2),
        "PCIe capability register through the found offset");
  }

  // ---- lspci as an independent decoder ----

  /** The pciutils dump format: an address line, then 16 bytes per line over 4 KiB. */
  private static String dump(String address, ConfigSpace s) {
    StringBuilder sb = new StringBuilder(address).append(" farm\n");
    for (int line = 0; line < ConfigLayout.PCIE_SIZE; line += 16) {
      sb.append(String.format("%02x:", line));
      for (int i = 0; i < 16; i++) {
        sb.append(String.format(" %02x", s.read(line + i, 1)));
      }
      sb.append('\n');
    }
    return sb.append('\n').toString();
  }

  private static void assertClean(String out) {
    // pciutils decodes vendor-specific payloads only for virtio and marks every other one
    // "<?>" (ls-vendor.c); that mark says "not decoded", not "malformed".
    String checked = out.replaceAll("Vendor Specific Information: Len=[0-9a-f]{2} <\\?>",
        "Vendor Specific Information");
    for (String bad : List.of("<chain broken>", "<chain looped>", "<?>", "<BAD", "<unreadable>",
        "Unknown")) {
      assertFalse(checked.contains(bad), "lspci reports " + bad + ":\n" + out);
    }
  }

  @Test
  void lspciDecodesTheEndpoint() {
    Lspci.assumeInstalled();
    String out = Lspci.decode(dump("0000:01:00.0", new ConfigSpace(endpoint())), "-vvv");
    assertClean(out);
    for (String want : List.of(
        "Capabilities: [40] Power Management version 3",
        "Flags: PMEClk- DSI- D1- D2- AuxCurrent=0mA PME(D0+,D1-,D2-,D3hot+,D3cold+)",
        "Capabilities: [48] MSI: Enable- Count=1/32 Maskable+ 64bit+",
        "Capabilities: [60] MSI-X: Enable- Count=64 Masked-",
        "Vector table: BAR=0 offset=00002000",
        "PBA: BAR=0 offset=00003000",
        "Capabilities: [6c] Express (v2) Endpoint, MSI 00",
        "MaxPayload 512 bytes",
        "FLReset+",
        "LnkCap:\tPort #0, Speed 16GT/s, Width x4",
        "Capabilities: [a8] Vendor Specific Information: Len=08",
        "Capabilities: [b0] PCI Advanced Features",
        "AFCap: TP+ FLR+",
        "Capabilities: [100 v2] Advanced Error Reporting",
        "Capabilities: [12c v1] Device Serial Number 01-23-45-67-89-ab-cd-ef",
        "Capabilities: [138 v1] Access Control Services",
        "Capabilities: [140 v1] Alternative Routing-ID Interpretation (ARI)",
        "Capabilities: [148 v1] Single Root I/O Virtualization (SR-IOV)",
        "Initial VFs: 16, Total VFs: 16",
        "VF offset: 128, stride: 1, Device ID: 10ed",
        "Supported Page Size: 00000553, System Page Size: 00000001",
        "Region 0: Memory at 0000000000000000 (64-bit, prefetchable)")) {
      assertTrue(out.contains(want), "lspci output lacks \"" + want + "\":\n" + out);
    }
  }

  @Test
  void lspciDecodesTheRootPort() {
    Lspci.assumeInstalled();
    String out = Lspci.decode(dump("0000:00:1c.0", new ConfigSpace(rootPort())), "-vvv");
    assertClean(out);
    for (String want : List.of(
        "Capabilities: [40] Express (v2) Root Port (Slot+), MSI 00",
        "LLActRep+ BwNot+",
        "SltCap:\tAttnBtn+ PwrCtrl+ MRL+ AttnInd+ PwrInd+ HotPlug+ Surprise-",
        "Slot #7",
        "SltCtl:\tEnable: AttnBtn- PwrFlt- MRL- PresDet- CmdCplt- HPIrq- LinkChg-",
        // lspci shows the raw PCC bit: set means power off
        "Control: AttnInd Off, PwrInd Off, Power+ Interlock-",
        "RootCap: CRSVisible+",
        "Capabilities: [7c] MSI: Enable- Count=1/1 Maskable- 64bit+",
        "Capabilities: [8c] Power Management version 3",
        "Capabilities: [94] Subsystem: Red Hat, Inc.",
        "Capabilities: [100 v2] Advanced Error Reporting",
        "RootCmd: CERptEn- NFERptEn- FERptEn-",
        "Capabilities: [148 v1] Access Control Services",
        "ACSCap:\tSrcValid+ TransBlk+ ReqRedir+ CmpltRedir+ UpstreamFwd+ EgressCtrl- DirectTrans-",
        "Capabilities: [150 v1] Device Serial Number")) {
      assertTrue(out.contains(want), "lspci output lacks \"" + want + "\":\n" + out);
    }
  }
}
