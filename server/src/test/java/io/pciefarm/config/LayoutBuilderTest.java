package io.pciefarm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.config.ConfigLayout.Placement;
import io.pciefarm.config.TestLayouts.TestCap;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.ExtendedCapabilities;
import io.pciefarm.spec.Header;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Capability placement and linkage, claims, and the checks {@link LayoutBuilder#build} makes. */
class LayoutBuilderTest {

  /** Walks the conventional list as lspci does: [id, offset] pairs. */
  static List<int[]> walk(ConfigSpace s) {
    List<int[]> found = new ArrayList<>();
    if ((s.read(Header.STATUS, 2) & Header.STATUS_CAP_LIST) == 0) {
      return found;
    }
    int at = s.read(Header.CAPABILITY_LIST, 1) & ~3;
    while (at != 0) {
      if (found.size() > 48) {
        throw new AssertionError("capability list loops");
      }
      found.add(new int[] {s.read(at, 1), at});
      at = s.read(at + 1, 1) & ~3;
    }
    return found;
  }

  /** Walks the extended list from 0x100: [id, version, offset] triples. */
  static List<int[]> walkExtended(ConfigSpace s) {
    List<int[]> found = new ArrayList<>();
    int at = 0x100;
    while (at != 0) {
      int header = s.read(at, 4);
      if (header == 0) {
        break;
      }
      if (found.size() > 960) {
        throw new AssertionError("extended capability list loops");
      }
      found.add(new int[] {ExtendedCapabilities.headerId(header),
          ExtendedCapabilities.headerVersion(header), at});
      at = ExtendedCapabilities.headerNext(header);
    }
    return found;
  }

  private static String str(List<int[]> l) {
    StringBuilder b = new StringBuilder();
    for (int[] e : l) {
      b.append(java.util.Arrays.toString(e));
    }
    return b.toString();
  }

  @Test
  void theRealisticEndpointHasWellFormedLists() {
    ConfigLayout l = TestLayouts.endpoint();
    ConfigSpace s = new ConfigSpace(l);
    assertEquals(TestLayouts.PM, s.read(Header.CAPABILITY_LIST, 1));
    assertEquals(Header.STATUS_CAP_LIST, s.read(Header.STATUS, 2) & Header.STATUS_CAP_LIST);
    assertEquals("[1, 64][5, 72][16, 96]", str(walk(s)));
    assertEquals(TestLayouts.MSI, s.read(TestLayouts.PM + 1, 1));
    assertEquals(TestLayouts.EXP, s.read(TestLayouts.MSI + 1, 1));
    assertEquals(0, s.read(TestLayouts.EXP + 1, 1));
    assertEquals(ExtendedCapabilities.header(CapabilityId.EXT_AER, 1, TestLayouts.DSN),
        s.read(TestLayouts.AER, 4));
    assertEquals(ExtendedCapabilities.header(CapabilityId.EXT_DSN, 1, 0),
        s.read(TestLayouts.DSN, 4));
    assertEquals("[1, 1, 256][3, 1, 300]", str(walkExtended(s)));
    assertEquals(List.of(
        new Placement(CapabilityId.PM, 0x40, 8, false),
        new Placement(CapabilityId.MSI, 0x48, 0x18, false),
        new Placement(CapabilityId.EXP, 0x60, 0x3C, false),
        new Placement(CapabilityId.EXT_AER, 0x100, 0x2C, true),
        new Placement(CapabilityId.EXT_DSN, 0x12C, 0xC, true)), l.capabilities());
    assertEquals(0x60, l.capability(CapabilityId.EXP));
    assertEquals(-1, l.capability(CapabilityId.MSIX));
    assertEquals(0x12C, l.extendedCapability(CapabilityId.EXT_DSN));
    // An extended ID that equals a conventional one is looked up in its own list.
    assertEquals(-1, l.extendedCapability(CapabilityId.MSI));
    assertEquals(-1, l.capability(CapabilityId.EXT_DSN));
    assertEquals(0x100, l.extendedCapability(CapabilityId.EXT_AER));
    assertEquals(0x40, l.capability(CapabilityId.PM));
  }

  @Test
  void theListLinkageIsReadOnlyToSoftware() {
    ConfigSpace s = new ConfigSpace(TestLayouts.endpoint());
    int[] offsets = {Header.CAPABILITY_LIST, TestLayouts.PM, TestLayouts.PM + 1, TestLayouts.MSI,
        TestLayouts.MSI + 1, TestLayouts.EXP + 1};
    for (int off : offsets) {
      int before = s.read(off, 1);
      s.write(off, 1, ~before);
      assertEquals(before, s.read(off, 1), "0x" + Integer.toHexString(off));
    }
    s.write(Header.STATUS, 2, 0xFFFF);
    assertEquals(Header.STATUS_CAP_LIST, s.read(Header.STATUS, 2));
    for (int off : new int[] {TestLayouts.AER, TestLayouts.DSN}) {
      int before = s.read(off, 4);
      s.write(off, 4, ~before);
      s.write(off, 4, 0);
      assertEquals(before, s.read(off, 4));
    }
  }

  @Test
  void aLayoutWithoutCapabilitiesSaysSo() {
    ConfigSpace s = new ConfigSpace(new LayoutBuilder(ConfigLayout.PCIE_SIZE).build());
    assertEquals(0, s.read(Header.CAPABILITY_LIST, 1));
    assertEquals(0, s.read(Header.STATUS, 2));
    assertEquals(0, s.read(0x100, 4));
    assertEquals(List.of(), s.layout().capabilities());
  }

  @Test
  void onlyExtendedCapabilitiesLeaveTheConventionalListEmpty() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    b.add(TestCap.extended(CapabilityId.EXT_ACS, 8));
    ConfigSpace s = new ConfigSpace(b.build());
    assertEquals(0, s.read(Header.CAPABILITY_LIST, 1));
    assertEquals(0, s.read(Header.STATUS, 2) & Header.STATUS_CAP_LIST);
    assertEquals("[13, 1, 256]", str(walkExtended(s)));
  }

  @Test
  void capabilitiesPlacedOutOfOrderAreLinkedInTheOrderAdded() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    b.value(Header.STATUS, 2, Header.STATUS_IMMEDIATE_READINESS);
    assertEquals(0xC0, b.addAt(0xC0, TestCap.conventional(CapabilityId.MSIX, 12)));
    assertEquals(0x40, b.addAt(0x40, TestCap.conventional(CapabilityId.PM, 8)));
    // add() continues after the highest placement.
    assertEquals(0xCC, b.add(TestCap.conventional(CapabilityId.VENDOR, 5)));
    assertEquals(0xD4, b.add(TestCap.conventional(CapabilityId.AF, 6)));
    assertEquals(0x100, b.add(new TestCap(CapabilityId.EXT_SRIOV, 0x40, true, (l, o) -> {})));
    assertEquals(0x400, b.addAt(0x400, TestCap.extended(CapabilityId.EXT_ARI, 8)));
    assertEquals(0x200, b.addAt(0x200, TestCap.extended(CapabilityId.EXT_ACS, 8)));
    assertEquals(0x408, b.add(TestCap.extended(CapabilityId.EXT_DPC, 0x5C)));
    ConfigSpace s = new ConfigSpace(b.build());
    assertEquals("[17, 192][1, 64][9, 204][19, 212]", str(walk(s)));
    assertEquals("[16, 1, 256][14, 1, 1024][13, 1, 512][29, 1, 1032]", str(walkExtended(s)));
    // Status keeps the bits set before the first capability.
    assertEquals(Header.STATUS_IMMEDIATE_READINESS | Header.STATUS_CAP_LIST,
        s.read(Header.STATUS, 2));
  }

  @Test
  void extendedVersionAndCapabilityRegistersAreInstalled() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    Capability aer2 = new Capability() {
      @Override
      public int id() {
        return CapabilityId.EXT_AER;
      }

      @Override
      public int length() {
        return 0x48;
      }

      @Override
      public boolean extended() {
        return true;
      }

      @Override
      public int version() {
        return 2;
      }

      @Override
      public void install(LayoutBuilder layout, int base) {
        layout.value(base + 0x18, 4, 0xA0);
      }
    };
    b.add(aer2);
    b.add(new TestCap(CapabilityId.PM, 8, false, (l, base) -> l.value(base + 2, 2, 0xC9C3)));
    ConfigSpace s = new ConfigSpace(b.build());
    assertEquals(0x00020001, s.read(0x100, 4));
    assertEquals(0xA0, s.read(0x118, 4));
    assertEquals(0xC9C30001, s.read(0x40, 4));
  }

  @Test
  void overlappingPlacementsAreRefused() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    b.addAt(0x50, TestCap.conventional(CapabilityId.PM, 8));
    b.addAt(0x100, TestCap.extended(CapabilityId.EXT_AER, 0x48));
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> b.addAt(0x54, TestCap.conventional(CapabilityId.MSI, 8)));
    assertTrue(e.getMessage().contains("0x54") && e.getMessage().contains("0x5"),
        e.getMessage());
    assertThrows(IllegalStateException.class,
        () -> b.addAt(0x4C, TestCap.conventional(CapabilityId.MSI, 8)));
    assertThrows(IllegalStateException.class,
        () -> b.addAt(0x50, TestCap.conventional(CapabilityId.MSI, 4)));
    assertThrows(IllegalStateException.class,
        () -> b.addAt(0x144, TestCap.extended(CapabilityId.EXT_ACS, 8)));
    // The header (0x00..0x3F) belongs to nobody else.
    assertThrows(IllegalStateException.class, () -> b.claim(0x3C, 8, "vendor block"));
    assertThrows(IllegalStateException.class, () -> b.claim(0x100, 4, "vendor block"));
    assertThrows(IllegalStateException.class, () -> b.claim(0xFFC, 8, "vendor block"));
    assertThrows(IllegalStateException.class, () -> b.claim(-4, 8, "vendor block"));
    assertThrows(IllegalStateException.class, () -> b.claim(0x200, 0, "vendor block"));
    b.claim(0x58, 4, "vendor block");
    assertThrows(IllegalStateException.class,
        () -> b.addAt(0x58, TestCap.conventional(CapabilityId.MSI, 4)));
    // The refused attempts changed nothing: the lists hold what was placed, the rest is free.
    assertEquals(0x5C, b.add(TestCap.conventional(CapabilityId.MSI, 8)));
    assertEquals(0x148, b.add(TestCap.extended(CapabilityId.EXT_ACS, 8)));
    ConfigSpace s = new ConfigSpace(b.build());
    assertEquals("[1, 80][5, 92]", str(walk(s)));
    assertEquals("[1, 1, 256][13, 1, 328]", str(walkExtended(s)));
  }

  @Test
  void addPlacesACapabilityAtTheNextFreeOffsetPastClaimedBytes() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    b.claim(0x40, 0x12, "vendor block");
    assertEquals(0x54, b.add(TestCap.conventional(CapabilityId.PM, 8)));
    b.claim(0x5C, 1, "one byte");
    b.claim(0x64, 4, "another");
    // 0x60..0x63 is free but too small for 8 bytes.
    assertEquals(0x68, b.add(TestCap.conventional(CapabilityId.MSI, 8)));
    assertEquals(0x60, b.addAt(0x60, TestCap.conventional(CapabilityId.VENDOR, 4)));
    assertEquals(0x100, b.add(TestCap.extended(CapabilityId.EXT_AER, 0x48)));
    b.claim(0x148, 0x10, "vendor block");
    assertEquals(0x158, b.add(TestCap.extended(CapabilityId.EXT_ACS, 8)));
    b.claim(0x160, 0xEA0, "the rest");
    assertThrows(IllegalStateException.class,
        () -> b.add(TestCap.extended(CapabilityId.EXT_ARI, 8)));
    b.claim(0x70, 0x90, "the rest");
    assertThrows(IllegalStateException.class,
        () -> b.add(TestCap.conventional(CapabilityId.AF, 8)));
    ConfigSpace s = new ConfigSpace(b.build());
    assertEquals("[1, 84][5, 104][9, 96]", str(walk(s)));
    assertEquals("[1, 1, 256][13, 1, 344]", str(walkExtended(s)));
  }

  @Test
  void theFirstExtendedCapabilityCannotMoveOffItsPlace() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    b.claim(0x100, 4, "not a capability");
    assertThrows(IllegalStateException.class,
        () -> b.add(TestCap.extended(CapabilityId.EXT_AER, 0x48)));
  }

  @Test
  void placementsOutsideTheirListAreRefused() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    assertThrows(IllegalStateException.class,
        () -> b.addAt(0x3C, TestCap.conventional(CapabilityId.PM, 8)));
    assertThrows(IllegalStateException.class,
        () -> b.addAt(0xFC, TestCap.conventional(CapabilityId.PM, 8)));
    assertThrows(IllegalStateException.class,
        () -> b.addAt(0x100, TestCap.conventional(CapabilityId.PM, 8)));
    assertThrows(IllegalStateException.class,
        () -> b.addAt(0x42, TestCap.conventional(CapabilityId.PM, 8)));
    assertThrows(IllegalStateException.class,
        () -> b.addAt(0xFC, TestCap.extended(CapabilityId.EXT_AER, 8)));
    assertThrows(IllegalStateException.class,
        () -> b.addAt(0x102, TestCap.extended(CapabilityId.EXT_AER, 8)));
    assertThrows(IllegalStateException.class,
        () -> b.addAt(0xFFC, TestCap.extended(CapabilityId.EXT_AER, 8)));
    assertEquals(0xF8, b.addAt(0xF8, TestCap.conventional(CapabilityId.PM, 8)));
    assertThrows(IllegalStateException.class,
        () -> b.add(TestCap.conventional(CapabilityId.MSI, 4)), "conventional list is full");
  }

  @Test
  void theFirstExtendedCapabilityMustSitAt0x100AndARefusalLeavesNoTrace() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> b.addAt(0x200, TestCap.extended(CapabilityId.EXT_ACS, 8)));
    assertTrue(e.getMessage().contains("0x100"), e.getMessage());
    assertEquals(0x100, b.add(TestCap.extended(CapabilityId.EXT_AER, 0x48)));
    // 0x200 was not claimed by the refused attempt, and holds no stray header.
    assertEquals(0x200, b.addAt(0x200, TestCap.extended(CapabilityId.EXT_ACS, 8)));
    ConfigLayout l = b.build();
    assertEquals("[1, 1, 256][13, 1, 512]", str(walkExtended(new ConfigSpace(l))));
    LayoutBuilder fresh = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    assertThrows(IllegalStateException.class,
        () -> fresh.addAt(0x300, TestCap.extended(CapabilityId.EXT_ACS, 8)));
    assertEquals(0, fresh.build().defaultDword(0x300 / 4));
  }

  @Test
  void extendedCapabilitiesNeedAPciExpressFunction() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.CONVENTIONAL_SIZE);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> b.add(TestCap.extended(CapabilityId.EXT_AER, 0x48)));
    assertTrue(e.getMessage().contains("4096"), e.getMessage());
    assertThrows(IllegalStateException.class,
        () -> b.addAt(0x100, TestCap.extended(CapabilityId.EXT_AER, 0x48)));
    assertThrows(IllegalStateException.class,
        () -> b.addAt(0x40, TestCap.extended(CapabilityId.EXT_AER, 0x48)));
    // Conventional capabilities still fit.
    assertEquals(0x40, b.add(TestCap.conventional(CapabilityId.PM, 8)));
    assertEquals(CapabilityId.PM, new ConfigSpace(b.build()).read(0x40, 1));
  }

  @Test
  void onlyTheTwoConfigSpaceSizesExist() {
    for (int size : new int[] {0, 64, 255, 512, 4095, 8192, -256}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new LayoutBuilder(size));
      assertTrue(e.getMessage().contains(String.valueOf(size)), e.getMessage());
    }
    assertEquals(256, new LayoutBuilder(256).size());
    assertEquals(4096, new LayoutBuilder(4096).build().size());
    assertEquals(true, new LayoutBuilder(4096).build().isExpress());
  }

  @Test
  void masksAccumulateAndReadOnlyTakesBitsAway() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    b.rw(0x40, 2, 0x000F).rw(0x40, 2, 0x0F00).rw(0x42, 1, 0xFF);
    b.rw1c(0x44, 2, 0x00F0).rw1c(0x46, 2, 0x8000);
    b.trigger(0x48, 4, 0x80000001);
    b.readOnly(0x40, 2, 0x0003).readOnly(0x44, 4, 0x80000010).readOnly(0x48, 1, 0x01);
    // Bits of the value outside the register's width do not leak into its neighbours.
    b.rw(0x4C, 1, 0xFFFFFFFF).sticky(0x4C, 1, 0xFFFF);
    ConfigLayout l = b.build();
    assertEquals(0x00FF0F0C, l.wmask(0x10));
    assertEquals(0x000000E0, l.w1cmask(0x11));
    assertEquals(0x80000000, l.triggerMask(0x12));
    assertEquals(0x000000FF, l.wmask(0x13));
    assertEquals(0x000000FF, l.stickyMask(0x13));
    assertEquals(0, l.wmask(0x14));
    b.value(0x50, 2, 0xFFFFABCD);
    assertEquals(0xABCD, b.value(0x50, 2));
    assertEquals(0, b.value(0x52, 2));
    b.value(0x51, 1, 0x12);
    assertEquals(0x12CD, b.value(0x50, 2));
  }

  @Test
  void buildRefusesBitsWithTwoBehaviours() {
    LayoutBuilder rwAndW1c = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    rwAndW1c.rw(0x40, 2, 0x0110).rw1c(0x40, 2, 0x0100);
    IllegalStateException e = assertThrows(IllegalStateException.class, rwAndW1c::build);
    assertTrue(e.getMessage().contains("0x40") && e.getMessage().contains("0x00000100"),
        e.getMessage());

    LayoutBuilder rwAndTrigger = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    rwAndTrigger.rw(0x68, 2, 0xFFFF).trigger(0x68, 2, 0x8000);
    e = assertThrows(IllegalStateException.class, rwAndTrigger::build);
    assertTrue(e.getMessage().contains("0x68") && e.getMessage().contains("0x00008000"),
        e.getMessage());

    LayoutBuilder w1cAndTrigger = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    w1cAndTrigger.rw1c(0x200, 4, 0x1).trigger(0x200, 1, 0x1);
    assertThrows(IllegalStateException.class, w1cAndTrigger::build);

    LayoutBuilder triggerDefault = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    triggerDefault.trigger(0x80, 2, 0x0020).value(0x80, 2, 0x0021);
    e = assertThrows(IllegalStateException.class, triggerDefault::build);
    assertTrue(e.getMessage().contains("0x80") && e.getMessage().contains("0x00000020"),
        e.getMessage());

    // readOnly() resolves a clash, and a clash in the last dword is found too.
    rwAndW1c.readOnly(0x40, 2, 0x0100);
    assertEquals(0x0010, rwAndW1c.build().wmask(0x10));
    LayoutBuilder last = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    last.rw(0xFFC, 4, -1).rw1c(0xFFF, 1, 0x80);
    assertThrows(IllegalStateException.class, last::build);
    LayoutBuilder conventionalLast = new LayoutBuilder(ConfigLayout.CONVENTIONAL_SIZE);
    conventionalLast.trigger(0xFC, 4, 1).value(0xFC, 4, 1);
    assertThrows(IllegalStateException.class, conventionalLast::build);
  }

  @Test
  void stickyMayCombineWithAnyBehaviour() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    b.rw(0x40, 1, 0x0F).rw1c(0x40, 1, 0xF0).sticky(0x40, 1, 0xFF).sticky(0x41, 1, 0xFF);
    ConfigLayout l = b.build();
    assertEquals(0x0000FFFF, l.stickyMask(0x10));
  }

  @Test
  void defaultsAreReadableFromTheLayout() {
    ConfigLayout l = TestLayouts.endpoint();
    assertEquals(0x8086, l.defaultValue(0, 2));
    assertEquals(0x10D3, l.defaultValue(2, 2));
    assertEquals(0x10D38086, l.defaultDword(0));
    assertEquals(0x02, l.defaultValue(0x0B, 1));
    assertEquals(0x0C, l.defaultValue(0x10, 1));
  }
}
