package io.pciefarm.hotplug;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.caps.MsiCapability;
import io.pciefarm.caps.MsiXCapability;
import io.pciefarm.caps.PciExpressCapability;
import io.pciefarm.caps.SlotCapabilities;
import io.pciefarm.config.Bar;
import io.pciefarm.device.Catalog;
import io.pciefarm.device.DeviceModel;
import io.pciefarm.device.FunctionModel;
import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.Msi;
import io.pciefarm.spec.MsiX;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.PortType;
import io.pciefarm.spec.Type1;
import io.pciefarm.time.ManualClock;
import io.pciefarm.time.TimeBase;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.HierarchyBuilder;
import io.pciefarm.topology.PciFunction;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Masked message interrupts: a level that rises while its vector is masked sets the Pending bit
 * instead of sending, and unmasking sends it; a level that falls first withdraws it. MSI with
 * per-vector masking on the catalog's switch downstream port; MSI-X (Function Mask and the
 * table entry's Mask bit) on a downstream port model only this test builds, as no catalog port
 * has MSI-X.
 */
class MessageMaskingTest {
  /** A switch downstream port with a pciehp slot, MSI and MSI-X (table and PBA in BAR 0). */
  static final DeviceModel MSIX_PORT = DeviceModel.named("test-downstream-port-msix")
      .summary("test only: a switch downstream port with a native hot-plug slot and MSI-X")
      .function(0, FunctionModel.bridge("Test switch downstream port with MSI-X")
          .ids(0x10b5, 0x7ff0).classCode(0x060400).interruptPin(1)
          .express(PortType.DOWNSTREAM_PORT)
          .bar(0, Bar.mem32(4096))
          .capability(PciExpressCapability.builder(PortType.DOWNSTREAM_PORT).link(3, 4)
              .dllActiveReporting(true).slot(SlotCapabilities.pciehp()).build())
          .capability(MsiCapability.builder().vectors(1).address64(true).build())
          .capability(MsiXCapability.of(2, 0, 0x000, 0, 0x800)))
      .build();

  private final ManualClock clock = new ManualClock();
  private final List<InterruptKind> interrupts = new ArrayList<>();

  private Hierarchy build(String json) {
    Hierarchy h = HierarchyBuilder.build(TopologyFiles.parse(json, "m"), new TimeBase(clock, 1.0),
        name -> name.equals(MSIX_PORT.name()) ? Optional.of(MSIX_PORT)
            : Catalog.find(name));
    h.hotPlug().observer(new SlotObserver() {
      @Override
      public void interrupt(PciFunction p, int slot, InterruptKind kind) {
        interrupts.add(kind);
      }
    });
    return h;
  }

  private static void enableButtonInterrupt(PciFunction port) {
    int sltctl = port.model().layout().capability(CapabilityId.EXP) + PciExpress.SLOT_CONTROL;
    port.config().write(sltctl, 2, port.config().read(sltctl, 2) | PciExpress.SLTCTL_HPIE
        | PciExpress.SLTCTL_ABPE);
  }

  private static void clearButton(PciFunction port) {
    port.config().write(port.model().layout().capability(CapabilityId.EXP)
        + PciExpress.SLOT_STATUS, 2, PciExpress.SLTSTA_ABP);
  }

  /** A root port above a switch whose downstream port {@code model} has slot 4. */
  private Hierarchy switchWith(String model) {
    return build("""
        {"name":"m","devices":[{"device":1,"model":"root-port","children":[
          {"device":0,"model":"switch-upstream-port","children":[
            {"device":0,"model":"%s","slot":4}]}]}]}""".formatted(model));
  }

  private void busResetAbove(Hierarchy h) {
    h.write(0, 1, 0, Type1.BRIDGE_CONTROL, 2, Type1.BRIDGE_CTL_BUS_RESET);
    h.write(0, 1, 0, Type1.BRIDGE_CONTROL, 2, 0);
  }

  @Test
  void maskedMsiIsHeldPendingAndSentWhenUnmasked() {
    Hierarchy h = switchWith("switch-downstream-port-hotplug");
    PciFunction port = h.slotPort(4);
    int msi = port.model().layout().capability(CapabilityId.MSI);
    assertTrue((port.config().read(msi + Msi.CONTROL, 2) & Msi.CONTROL_PER_VECTOR_MASK) != 0);
    int mask = msi + Msi.MASK_64;
    int pending = msi + Msi.PENDING_64;
    port.config().write(msi + Msi.CONTROL, 2, Msi.CONTROL_ENABLE);
    port.config().write(mask, 4, 1);
    enableButtonInterrupt(port);

    h.hotPlug().pressAttentionButton(4);
    assertEquals(List.of(InterruptKind.SUPPRESSED), interrupts, "masked: nothing sent");
    assertEquals(1, port.config().read(pending, 4), "Pending bit set");
    port.config().write(mask, 4, 0);
    assertEquals(List.of(InterruptKind.SUPPRESSED, InterruptKind.MSI), interrupts,
        "unmasking sends the pending message");
    assertEquals(0, port.config().read(pending, 4));
    port.config().write(mask, 4, 1);
    port.config().write(mask, 4, 0);
    assertEquals(2, interrupts.size(), "nothing pending, nothing sent again");

    clearButton(port);
    port.config().write(mask, 4, 1);
    h.hotPlug().pressAttentionButton(4);
    assertEquals(1, port.config().read(pending, 4));
    clearButton(port);
    assertEquals(0, port.config().read(pending, 4), "the level fell: the message is withdrawn");
    port.config().write(mask, 4, 0);
    assertEquals(3, interrupts.size(), "no stale message on unmask");
  }

  @Test
  void msixFunctionMaskAndVectorMaskHoldTheMessage() {
    Hierarchy h = switchWith(MSIX_PORT.name());
    PciFunction port = h.slotPort(4);
    SlotController c = h.hotPlug().controller(4);
    int msix = port.model().layout().capability(CapabilityId.MSIX) + MsiX.CONTROL;
    assertTrue((port.config().read(Header.COMMAND, 2) & Header.COMMAND_MASTER) != 0,
        "firmware enabled bus mastering");
    assertTrue(c.msixVectorMasked(0) && c.msixVectorMasked(1), "entries reset masked");
    port.config().write(msix, 2, MsiX.CONTROL_ENABLE);
    enableButtonInterrupt(port);

    h.hotPlug().pressAttentionButton(4);
    assertEquals(List.of(InterruptKind.SUPPRESSED), interrupts, "entry 0 still masked");
    assertTrue(c.msixVectorPending(0));
    c.msixVectorMask(1, false);
    assertEquals(1, interrupts.size(), "another entry is not the hot-plug vector");
    c.msixVectorMask(0, false);
    assertEquals(List.of(InterruptKind.SUPPRESSED, InterruptKind.MSIX), interrupts);
    assertFalse(c.msixVectorPending(0));

    clearButton(port);
    port.config().write(msix, 2, MsiX.CONTROL_ENABLE | MsiX.CONTROL_FUNCTION_MASK);
    h.hotPlug().pressAttentionButton(4);
    assertEquals(3, interrupts.size());
    assertEquals(InterruptKind.SUPPRESSED, interrupts.get(2), "Function Mask holds it");
    assertTrue(c.msixVectorPending(0));
    port.config().write(msix, 2, MsiX.CONTROL_ENABLE);
    assertEquals(InterruptKind.MSIX, interrupts.get(3), "clearing Function Mask sends it");
    assertFalse(c.msixVectorPending(0));

    clearButton(port);
    c.msixVectorMask(0, true);
    h.hotPlug().pressAttentionButton(4);
    clearButton(port);
    assertFalse(c.msixVectorPending(0), "the level fell: the message is withdrawn");
    c.msixVectorMask(0, false);
    assertEquals(5, interrupts.size(), "no stale message on unmask");
    assertEquals(0, port.config().read(Header.STATUS, 2) & Header.STATUS_INTERRUPT);
  }

  @Test
  void msixTakesPrecedenceOverMsiAndNeedsBusMastering() {
    Hierarchy h = switchWith(MSIX_PORT.name());
    PciFunction port = h.slotPort(4);
    SlotController c = h.hotPlug().controller(4);
    c.msixVectorMask(0, false);
    port.config().write(port.model().layout().capability(CapabilityId.MSI) + Msi.CONTROL, 2,
        Msi.CONTROL_ENABLE);
    port.config().write(port.model().layout().capability(CapabilityId.MSIX) + MsiX.CONTROL, 2,
        MsiX.CONTROL_ENABLE);
    enableButtonInterrupt(port);
    h.hotPlug().pressAttentionButton(4);
    assertEquals(List.of(InterruptKind.MSIX), interrupts);
    clearButton(port);
    port.config().write(Header.COMMAND, 2,
        port.config().read(Header.COMMAND, 2) & ~Header.COMMAND_MASTER);
    h.hotPlug().pressAttentionButton(4);
    assertEquals(List.of(InterruptKind.MSIX, InterruptKind.SUPPRESSED), interrupts);
    assertThrows(IllegalArgumentException.class, () -> c.msixVectorMask(2, false));
  }

  @Test
  void aResetOfThePortWithdrawsPendingMessagesAndMasksTheTableAgain() {
    Hierarchy h = switchWith("switch-downstream-port-hotplug");
    PciFunction port = h.slotPort(4);
    int msi = port.model().layout().capability(CapabilityId.MSI);
    port.config().write(msi + Msi.CONTROL, 2, Msi.CONTROL_ENABLE);
    port.config().write(msi + Msi.MASK_64, 4, 1);
    enableButtonInterrupt(port);
    h.hotPlug().pressAttentionButton(4);
    assertEquals(1, port.config().read(msi + Msi.PENDING_64, 4));
    busResetAbove(h);
    assertEquals(0, port.config().read(msi + Msi.PENDING_64, 4), "reset with the port");
    port.config().write(Header.COMMAND, 2, Header.COMMAND_MASTER);
    port.config().write(msi + Msi.CONTROL, 2, Msi.CONTROL_ENABLE);
    assertEquals(List.of(InterruptKind.SUPPRESSED), interrupts, "nothing left to send");

    Hierarchy x = switchWith(MSIX_PORT.name());
    SlotController c = x.hotPlug().controller(4);
    PciFunction msixPort = x.slotPort(4);
    int msix = msixPort.model().layout().capability(CapabilityId.MSIX) + MsiX.CONTROL;
    msixPort.config().write(msix, 2, MsiX.CONTROL_ENABLE);
    enableButtonInterrupt(msixPort);
    x.hotPlug().pressAttentionButton(4);
    c.msixVectorMask(1, false);
    assertTrue(c.msixVectorPending(0));
    busResetAbove(x);
    assertTrue(c.msixVectorMasked(0) && c.msixVectorMasked(1), "entries masked again");
    assertFalse(c.msixVectorPending(0));
  }
}
