package io.pciefarm.hotplug;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.Msi;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.time.ManualClock;
import io.pciefarm.time.TimeBase;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.HierarchyBuilder;
import io.pciefarm.topology.PciFunction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** An event interrupts only when HPIE and its own enable are set; delivery follows the port. */
class InterruptGatingTest {
  private final ManualClock clock = new ManualClock();
  private final Hierarchy h = HierarchyBuilder.build(TopologyFiles.parse("""
      {"name":"g","devices":[{"device":1,"model":"root-port-hotplug-acs","slot":1}]}""", "g"),
      new TimeBase(clock, 1.0));
  private final PciFunction port = h.lookup(0, 1 << 3);
  private final int exp = port.model().layout().capability(CapabilityId.EXP);
  private final List<InterruptKind> interrupts = new ArrayList<>();

  InterruptGatingTest() {
    h.hotPlug().observer(new SlotObserver() {
      @Override
      public void interrupt(PciFunction p, int slot, InterruptKind kind) {
        interrupts.add(kind);
      }
    });
  }

  private void sltctl(int value) {
    port.config().write(exp + PciExpress.SLOT_CONTROL, 2, value);
    clock.advance(Duration.ofMillis(1)); // let the command complete
    port.config().write(exp + PciExpress.SLOT_STATUS, 2, PciExpress.SLTSTA_EVENTS_RW1C);
    interrupts.clear();
  }

  private int sltctl() {
    return port.config().read(exp + PciExpress.SLOT_CONTROL, 2);
  }

  private void msi(boolean on) {
    int msi = port.model().layout().capability(CapabilityId.MSI);
    port.config().write(msi + Msi.CONTROL, 2, on ? Msi.CONTROL_ENABLE : 0);
  }

  /** Each event, the enable that gates it, and how to cause it. */
  static Stream<Arguments> events() {
    return Stream.of(
        Arguments.of("attention button", PciExpress.SLTCTL_ABPE,
            (Consumer<InterruptGatingTest>) t -> t.h.hotPlug().pressAttentionButton(1)),
        Arguments.of("power fault", PciExpress.SLTCTL_PFDE,
            (Consumer<InterruptGatingTest>) t -> t.h.hotPlug().powerFault(1)),
        Arguments.of("MRL sensor changed", PciExpress.SLTCTL_MRLSCE,
            (Consumer<InterruptGatingTest>) t -> t.h.hotPlug().openMrl(1)),
        Arguments.of("presence detect changed", PciExpress.SLTCTL_PDCE,
            (Consumer<InterruptGatingTest>) t -> t.h.hotPlug().insert(1, "nvme-ssd", "")),
        Arguments.of("command completed", PciExpress.SLTCTL_CCIE,
            (Consumer<InterruptGatingTest>) t -> {
              t.port.config().write(t.exp + PciExpress.SLOT_CONTROL, 2, t.sltctl());
              t.clock.advance(Duration.ofMillis(1));
            }),
        Arguments.of("data link layer state changed", PciExpress.SLTCTL_DLLSCE,
            (Consumer<InterruptGatingTest>) t -> t.port.linkUp(true)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("events")
  void interruptsOnlyWithHpieAndItsOwnEnable(String name, int enable,
      Consumer<InterruptGatingTest> cause) {
    for (int combo = 0; combo < 4; combo++) {
      InterruptGatingTest t = new InterruptGatingTest();
      t.msi(true);
      boolean hpie = (combo & 1) != 0;
      boolean own = (combo & 2) != 0;
      // Every other enable on, so only this pair decides.
      int all = PciExpress.SLTCTL_ABPE | PciExpress.SLTCTL_PFDE | PciExpress.SLTCTL_MRLSCE
          | PciExpress.SLTCTL_PDCE | PciExpress.SLTCTL_CCIE | PciExpress.SLTCTL_DLLSCE;
      int ctl = (t.sltctl() & ~all & ~PciExpress.SLTCTL_HPIE) | (all & ~enable)
          | (own ? enable : 0) | (hpie ? PciExpress.SLTCTL_HPIE : 0);
      // With CC gated off, the command that sets the enables must not interrupt by itself.
      t.sltctl(ctl);
      t.interrupts.clear();
      cause.accept(t);
      List<InterruptKind> want = hpie && own ? List.of(InterruptKind.MSI) : List.of();
      assertEquals(want, t.interrupts, name + " with HPIE=" + hpie + " enable=" + own);
    }
  }

  @Test
  void deliveredAsIntxWhenMsiIsOffAndNotAtAllWhenIntxIsDisabled() {
    sltctl(sltctl() | PciExpress.SLTCTL_HPIE | PciExpress.SLTCTL_ABPE);
    h.hotPlug().pressAttentionButton(1);
    assertEquals(List.of(InterruptKind.INTX), interrupts);
    assertEquals(Header.STATUS_INTERRUPT,
        port.config().read(Header.STATUS, 2) & Header.STATUS_INTERRUPT, "INTx asserted");
    port.config().write(exp + PciExpress.SLOT_STATUS, 2, PciExpress.SLTSTA_ABP);
    assertEquals(0, port.config().read(Header.STATUS, 2) & Header.STATUS_INTERRUPT,
        "deasserted when the level falls");
    port.config().write(Header.COMMAND, 2, Header.COMMAND_INTX_DISABLE);
    h.hotPlug().pressAttentionButton(1);
    assertEquals(List.of(InterruptKind.INTX, InterruptKind.SUPPRESSED), interrupts);
    assertEquals(0, port.config().read(Header.STATUS, 2) & Header.STATUS_INTERRUPT);
  }

  @Test
  void reassertsOnlyOnANewRisingEdge() {
    msi(true);
    sltctl(sltctl() | PciExpress.SLTCTL_HPIE | PciExpress.SLTCTL_ABPE
        | PciExpress.SLTCTL_PDCE);
    h.hotPlug().pressAttentionButton(1);
    h.hotPlug().insert(1, "nvme-ssd", ""); // level already high: no second message
    assertEquals(List.of(InterruptKind.MSI), interrupts);
    port.config().write(exp + PciExpress.SLOT_STATUS, 2, PciExpress.SLTSTA_ABP);
    assertEquals(1, interrupts.size(), "PDC still pending: the level stays high");
    port.config().write(exp + PciExpress.SLOT_STATUS, 2, PciExpress.SLTSTA_PDC);
    h.hotPlug().pressAttentionButton(1);
    assertEquals(List.of(InterruptKind.MSI, InterruptKind.MSI), interrupts);
  }
}
