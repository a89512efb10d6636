package io.pciefarm.hotplug;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.export.HierarchyDump;
import io.pciefarm.export.LspciDump.DumpDepth;
import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.testing.Lspci;
import io.pciefarm.time.ManualClock;
import io.pciefarm.time.TimeBase;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.HierarchyBuilder;
import io.pciefarm.topology.PciFunction;
import io.pciefarm.topology.TopologyException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Slots whose features the topology declares, not the model's full pciehp slot. */
class DeclaredSlotsTest {
  private static final String BAYS = """
      {"name":"bays","devices":[
        {"device":1,"model":"root-port-hotplug-acs","slot":1,
         "slotFeatures":{"surprise":true,"noCommandCompleted":true}},
        {"device":2,"model":"root-port-hotplug-acs","slot":2,
         "slotFeatures":{"powerController":true,"powerIndicator":true,"electromechanicalInterlock":true},
         "children":[{"device":0,"model":"nvme-ssd"}]},
        {"device":3,"model":"root-port-hotplug-acs","slot":3,"slotFeatures":{"fixed":true}},
        {"device":4,"model":"root-port-hotplug-acs","slot":4}]}""";

  private final ManualClock clock = new ManualClock();
  private final Hierarchy h = HierarchyBuilder.build(TopologyFiles.parse(BAYS, "bays"),
      new TimeBase(clock, 1.0));

  private PciFunction port(int device) {
    return h.lookup(0, device << 3);
  }

  private int reg(int device, int offset) {
    PciFunction p = port(device);
    return p.config().read(p.model().layout().capability(CapabilityId.EXP) + offset, 2);
  }

  private void write(int device, int offset, int value) {
    PciFunction p = port(device);
    p.config().write(p.model().layout().capability(CapabilityId.EXP) + offset, 2, value);
  }

  @Test
  void slotCapabilitiesAreWhatTheTopologyDeclares() {
    int surprise = port(1).config().read(port(1).model().layout().capability(CapabilityId.EXP)
        + PciExpress.SLOT_CAPABILITIES, 4);
    assertEquals(PciExpress.SLTCAP_HPS | PciExpress.SLTCAP_HPC | PciExpress.SLTCAP_NCCS,
        surprise & 0x7FFFF);
    assertEquals(1, surprise >>> PciExpress.SLTCAP_PSN_SHIFT);
    assertSame(port(1).model().layout(), h.lookup(0, 1 << 3).model().layout());
    assertTrue(port(4).model().layout() != port(1).model().layout(), "a variant, not the model");
  }

  @Test
  void surpriseSlotWithoutPowerControllerOrCommandCompletion() {
    h.hotPlug().insert(1, "nvme-ssd", "");
    clock.advance(Duration.ofMillis(200));
    assertTrue(h.hotPlug().state(1).linkUp(), "no power controller: powered as soon as seated");
    assertEquals(0x144d, h.read(port(1).secondaryBusNumber(), 0, 0, 0, 2));
    write(1, PciExpress.SLOT_CONTROL, PciExpress.SLTCTL_HPIE | PciExpress.SLTCTL_PDCE);
    clock.advance(Duration.ofSeconds(2));
    assertEquals(0, reg(1, PciExpress.SLOT_STATUS) & PciExpress.SLTSTA_CC, "NCCS: never");
    assertEquals(0, reg(1, PciExpress.SLOT_CONTROL) & PciExpress.SLTCTL_PCC, "PCC read-only 0");
  }

  @Test
  void interlockHoldsTheCardUntilReleased() {
    List<String> seen = new ArrayList<>();
    h.hotPlug().observer(new SlotObserver() {
      @Override
      public void interlockChanged(PciFunction port, int slot, boolean engaged) {
        seen.add("slot " + slot + (engaged ? " engaged" : " released"));
      }

      @Override
      public void commandCompleted(PciFunction port, int slot) {
        seen.add("slot " + slot + " command completed");
      }
    });
    write(2, PciExpress.SLOT_CONTROL, reg(2, PciExpress.SLOT_CONTROL) | PciExpress.SLTCTL_EIC);
    assertEquals(PciExpress.SLTSTA_EIS, reg(2, PciExpress.SLOT_STATUS) & PciExpress.SLTSTA_EIS);
    assertEquals(0, reg(2, PciExpress.SLOT_CONTROL) & PciExpress.SLTCTL_EIC, "EIC reads 0");
    assertTrue(h.hotPlug().state(2).interlockEngaged());
    clock.advance(Duration.ofMillis(1));
    assertEquals(List.of("slot 2 engaged", "slot 2 command completed"), seen,
        "toggling the interlock is a command like any other");
    write(2, PciExpress.SLOT_CONTROL, reg(2, PciExpress.SLOT_CONTROL));
    assertTrue(h.hotPlug().state(2).interlockEngaged(), "a write without EIC leaves it");
    HotPlugException held = assertThrows(HotPlugException.class, () -> h.hotPlug().remove(2));
    assertEquals(HotPlugException.Kind.WRONG_STATE, held.kind());
    assertTrue(held.getMessage().contains("interlock"), held.getMessage());
    write(2, PciExpress.SLOT_CONTROL, reg(2, PciExpress.SLOT_CONTROL) | PciExpress.SLTCTL_EIC);
    assertEquals(0, reg(2, PciExpress.SLOT_STATUS) & PciExpress.SLTSTA_EIS);
    assertEquals("slot 2 released", seen.get(seen.size() - 1));
    write(4, PciExpress.SLOT_CONTROL, reg(4, PciExpress.SLOT_CONTROL) | PciExpress.SLTCTL_EIC);
    assertEquals(0, reg(4, PciExpress.SLOT_STATUS) & PciExpress.SLTSTA_EIS, "no interlock there");
    assertTrue(seen.stream().noneMatch(e -> e.startsWith("slot 4 ") && !e.endsWith("completed")),
        seen.toString());
    h.hotPlug().remove(2);
    assertFalse(h.hotPlug().state(2).present());
    assertEquals(HotPlugException.Kind.WRONG_STATE, assertThrows(HotPlugException.class,
        () -> h.hotPlug().pressAttentionButton(2)).kind(), "declared without a button");
  }

  @Test
  void fixedSlotHasNothingToControl() {
    write(3, PciExpress.SLOT_CONTROL, 0xFFFF);
    assertEquals(0, reg(3, PciExpress.SLOT_CONTROL) & (PciExpress.SLTCTL_HPIE
        | PciExpress.SLTCTL_PDCE | PciExpress.SLTCTL_PCC));
  }

  @Test
  void aSlotThatIsNotHotPlugCapableRefusesCardsWhileRunning() {
    HotPlugException in = assertThrows(HotPlugException.class,
        () -> h.hotPlug().insert(3, "nvme-ssd", ""));
    assertEquals(HotPlugException.Kind.WRONG_STATE, in.kind());
    assertEquals("slot 3 is not hot-plug capable (Slot Capabilities Hot-Plug Capable is clear):"
        + " a card cannot be inserted while the hierarchy runs", in.getMessage());
    assertTrue(port(3).secondary().functions().isEmpty(), "nothing was plugged");
    assertFalse(h.hotPlug().state(3).present());
    Hierarchy occupied = HierarchyBuilder.build(TopologyFiles.parse("""
        {"name":"f","devices":[{"device":1,"model":"root-port-hotplug-acs","slot":1,
          "slotFeatures":{"fixed":true},"children":[{"device":0,"model":"nvme-ssd"}]}]}""",
        "f"), new TimeBase(clock, 1.0));
    HotPlugException out = assertThrows(HotPlugException.class,
        () -> occupied.hotPlug().remove(1));
    assertEquals(HotPlugException.Kind.WRONG_STATE, out.kind());
    assertTrue(out.getMessage().contains("cannot be removed"), out.getMessage());
    assertTrue(occupied.hotPlug().state(1).present());
  }

  @Test
  void onlyPortsWithASlotTakeSlotFeatures() {
    TopologyException e = assertThrows(TopologyException.class, () -> HierarchyBuilder.build(
        TopologyFiles.parse("""
            {"name":"x","devices":[{"device":1,"model":"root-port","slotFeatures":{"surprise":true}}]}""",
            "x")));
    assertEquals(TopologyException.Kind.BAD_SLOT, e.kind());
    assertEquals("devices[0] (device 1, model 'root-port')", e.place());
  }

  @Test
  void lspciShowsTheDeclaredSlot() {
    Lspci.assumeInstalled();
    String out = Lspci.decode(HierarchyDump.format(h, DumpDepth.EXTENDED), "-vvv", "-s", "00:01.0");
    assertTrue(out.contains("SltCap:\tAttnBtn- PwrCtrl- MRL- AttnInd- PwrInd- HotPlug+ Surprise+"),
        out);
    assertTrue(out.contains("NoCompl+"), out);
  }
}
