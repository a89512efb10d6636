package io.pciefarm.caps;

import static io.pciefarm.caps.Probe.assertHex;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SlotCapabilitiesTest {
  @Test
  void pciehpPresetHasEveryNativeHotPlugElement() {
    SlotCapabilities s = SlotCapabilities.pciehp();
    assertTrue(s.attentionButton() && s.powerController() && s.mrlSensor()
        && s.attentionIndicator() && s.powerIndicator() && s.hotPlugCapable());
    assertFalse(s.hotPlugSurprise() || s.electromechanicalInterlock() || s.noCommandCompleted());
    // ABP 1, PCP 2, MRLSP 4, AIP 8, PIP 10, HPC 40
    assertHex(0x0000005F, s.encode(), "SltCap");
  }

  @Test
  void surpriseOnlyPresetHasNothingToCommand() {
    // HPS 20, HPC 40, NCCS 40000
    assertHex(0x00040060, SlotCapabilities.surpriseOnly().encode(), "SltCap");
  }

  @Test
  void fixedSlotIsNotHotPlugCapable() {
    assertHex(0, SlotCapabilities.fixed().encode(), "SltCap");
  }

  @Test
  void everyFieldHasItsBit() {
    SlotCapabilities s = SlotCapabilities.builder().attentionButton(true).powerController(true)
        .mrlSensor(true).attentionIndicator(true).powerIndicator(true).hotPlugSurprise(true)
        .hotPlugCapable(true).electromechanicalInterlock(true).noCommandCompleted(true)
        .physicalSlot(8191).build();
    assertHex(0xFFFE007F, s.encode(), "SltCap with every bit");
    assertHex(0x00020000, SlotCapabilities.builder().electromechanicalInterlock(true).build()
        .encode(), "EIP alone");
  }

  @Test
  void physicalSlotNumberIsBits31To19() {
    assertHex(0x0028005F, SlotCapabilities.pciehp().withPhysicalSlot(5).encode(), "slot 5");
    assertEquals(SlotCapabilities.pciehp().withPhysicalSlot(5),
        SlotCapabilities.builder().attentionButton(true).powerController(true).mrlSensor(true)
            .attentionIndicator(true).powerIndicator(true).hotPlugCapable(true)
            .physicalSlot(5).build());
    assertThrows(IllegalArgumentException.class,
        () -> SlotCapabilities.pciehp().withPhysicalSlot(8192));
    assertThrows(IllegalArgumentException.class,
        () -> SlotCapabilities.builder().physicalSlot(-1).build());
  }
}
