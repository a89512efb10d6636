package io.pciefarm.hotplug;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.proto.v1.HierarchySpec;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An event interrupts only when HPIE and its own enable are set; the level is delivered as the
 * port is configured (MSI, INTx, or INTx disabled), with the MSI mask, Bus Master Enable and
 * Interrupt Disable rules.
 */
class InterruptGatingTest {
  private static final HierarchySpec ONE_SLOT = TopologyFiles.parse("""
      {"name":"g","devices":[{"device":1,"model":"root-port-hotplug-acs","slot":1}]}""", "g");

  /** The six event enables, and the Slot Status bit each gates (the spec's pairing). */
  private static final int[][] ENABLE_TO_STATUS = {
      {PciExpress.SLTCTL_ABPE, PciExpress.SLTSTA_ABP},
      {PciExpress.SLTCTL_PFDE, PciExpress.SLTSTA_PFD},
      {PciExpress.SLTCTL_MRLSCE, PciExpress.SLTSTA_MRLSC},
      {PciExpress.SLTCTL_PDCE, PciExpress.SLTSTA_PDC},
      {PciExpress.SLTCTL_CCIE, PciExpress.SLTSTA_CC},
      {PciExpress.SLTCTL_DLLSCE, PciExpress.SLTSTA_DLLSC}};
  private static final int ALL_ENABLES = PciExpress.SLTCTL_HPIE | PciExpress.SLTCTL_ABPE
      | PciExpress.SLTCTL_PFDE | PciExpress.SLTCTL_MRLSCE | PciExpress.SLTCTL_PDCE
      | PciExpress.SLTCTL_CCIE | PciExpress.SLTCTL_DLLSCE;

  private final ManualClock clock = new ManualClock();
  private final Hierarchy h = HierarchyBuilder.build(ONE_SLOT, new TimeBase(clock, 1.0));
  private final PciFunction port = h.lookup(0, 1 << 3);
  private final int exp = port.model().layout().capability(CapabilityId.EXP);
  private final int msi = port.model().layout().capability(CapabilityId.MSI);
  private final List<InterruptKind> interrupts = new ArrayList<>();

  InterruptGatingTest() {
    h.hotPlug().observer(new SlotObserver() {
      @Override
      public void interrupt(PciFunction p, int slot, InterruptKind kind) {
        interrupts.add(kind);
      }
    });
  }

  /** Writes the enables (keeping power and indicators), lets the command complete, clears. */
  private void enables(int bits) {
    port.config().write(exp + PciExpress.SLOT_CONTROL, 2, (sltctl() & ~ALL_ENABLES) | bits);
    clock.advance(Duration.ofMillis(1));
    clearStatus(PciExpress.SLTSTA_EVENTS_RW1C);
    interrupts.clear();
  }

  private int sltctl() {
    return port.config().read(exp + PciExpress.SLOT_CONTROL, 2);
  }

  private int sltsta() {
    return port.config().read(exp + PciExpress.SLOT_STATUS, 2);
  }

  private void clearStatus(int bits) {
    port.config().write(exp + PciExpress.SLOT_STATUS, 2, bits);
  }

  private void command(int set, int clear) {
    int c = port.config().read(Header.COMMAND, 2);
    port.config().write(Header.COMMAND, 2, (c | set) & ~clear);
  }

  private void msi(boolean on) {
    port.config().write(msi + Msi.CONTROL, 2, on ? Msi.CONTROL_ENABLE : 0);
  }

  private int interruptStatus() {
    return port.config().read(Header.STATUS, 2) & Header.STATUS_INTERRUPT;
  }

  private SlotController controller() {
    return h.hotPlug().controller(1);
  }

  /** How the port is set to deliver, and what a rising level then reports. */
  enum Delivery {
    MSI(InterruptKind.MSI),
    INTX(InterruptKind.INTX),
    INTX_DISABLED(InterruptKind.SUPPRESSED);

    final InterruptKind reported;

    Delivery(InterruptKind reported) {
      this.reported = reported;
    }

    void apply(InterruptGatingTest t) {
      t.command(Header.COMMAND_MASTER, 0); // what the port driver does (pci_set_master)
      t.msi(this == MSI);
      if (this == INTX_DISABLED) {
        t.command(Header.COMMAND_INTX_DISABLE, 0);
      }
    }
  }

  /** An event: how to prepare the slot, how to cause it, and every status bit it latches. */
  record Cause(String name, Consumer<InterruptGatingTest> setup, Consumer<InterruptGatingTest> act,
      int latches) {
    @Override
    public String toString() {
      return name;
    }
  }

  static final List<Cause> CAUSES = List.of(
      new Cause("attention button", t -> { }, t -> t.h.hotPlug().pressAttentionButton(1),
          PciExpress.SLTSTA_ABP),
      new Cause("power fault", t -> { }, t -> t.h.hotPlug().powerFault(1), PciExpress.SLTSTA_PFD),
      new Cause("MRL opened", t -> { }, t -> t.h.hotPlug().openMrl(1), PciExpress.SLTSTA_MRLSC),
      new Cause("card inserted", t -> { }, t -> t.h.hotPlug().insert(1, "nvme-ssd", ""),
          PciExpress.SLTSTA_PDC),
      new Cause("command completed", t -> { },
          t -> t.port.config().write(t.exp + PciExpress.SLOT_CONTROL, 2, t.sltctl()),
          PciExpress.SLTSTA_CC),
      // The link trains only once the OS powers the slot: that command completes first.
      new Cause("power on, link trains", t -> t.h.hotPlug().insert(1, "nvme-ssd", ""),
          t -> t.port.config().write(t.exp + PciExpress.SLOT_CONTROL, 2,
              t.sltctl() & ~PciExpress.SLTCTL_PCC),
          PciExpress.SLTSTA_CC | PciExpress.SLTSTA_DLLSC));

  /** Every event, every delivery, every one of the 2^7 values of HPIE and the six enables. */
  static Stream<Arguments> everyCombination() {
    List<Arguments> out = new ArrayList<>();
    for (Cause c : CAUSES) {
      for (Delivery d : Delivery.values()) {
        for (int combo = 0; combo < 1 << 7; combo++) {
          int ctl = (combo & 1) != 0 ? PciExpress.SLTCTL_HPIE : 0;
          for (int i = 0; i < ENABLE_TO_STATUS.length; i++) {
            if ((combo & 2 << i) != 0) {
              ctl |= ENABLE_TO_STATUS[i][0];
            }
          }
          out.add(Arguments.of(c, d, ctl));
        }
      }
    }
    return out.stream();
  }

  /** The spec's rule: HPIE, and some latched status bit whose own enable is set. */
  private static boolean level(int sltctl, int sltsta) {
    if ((sltctl & PciExpress.SLTCTL_HPIE) == 0) {
      return false;
    }
    for (int[] pair : ENABLE_TO_STATUS) {
      if ((sltctl & pair[0]) != 0 && (sltsta & pair[1]) != 0) {
        return true;
      }
    }
    return false;
  }

  @ParameterizedTest(name = "{0} via {1}, Slot Control enables {2}")
  @MethodSource("everyCombination")
  void interruptsExactlyWhenTheSpecRuleSays(Cause cause, Delivery delivery, int enables) {
    cause.setup().accept(this);
    delivery.apply(this);
    enables(enables);
    assertEquals(0, interruptStatus(), "quiet before the event");
    cause.act().accept(this);
    clock.advance(Duration.ofMillis(200));

    assertEquals(cause.latches(), sltsta() & PciExpress.SLTSTA_EVENTS_RW1C,
        "status latches whatever the enables");
    boolean level = level(enables, cause.latches());
    assertEquals(level ? List.of(delivery.reported) : List.of(), interrupts);
    assertEquals(level && delivery != Delivery.MSI ? Header.STATUS_INTERRUPT : 0,
        interruptStatus(), "Interrupt Status is the INTx level, Interrupt Disable or not");
    assertEquals(level && delivery == Delivery.INTX, controller().intxAsserted());
    if ((cause.latches() & PciExpress.SLTSTA_DLLSC) != 0) {
      assertTrue(port.linkUp(), "the link trained");
    }
  }

  @Test
  void interruptDisableGatesTheWireNotInterruptStatus() {
    command(Header.COMMAND_MASTER, 0);
    enables(PciExpress.SLTCTL_HPIE | PciExpress.SLTCTL_ABPE);
    h.hotPlug().pressAttentionButton(1);
    assertEquals(List.of(InterruptKind.INTX), interrupts);
    assertEquals(Header.STATUS_INTERRUPT, interruptStatus());
    assertTrue(controller().intxAsserted());
    clearStatus(PciExpress.SLTSTA_ABP);
    assertEquals(0, interruptStatus(), "the level fell");
    assertFalse(controller().intxAsserted());

    command(Header.COMMAND_INTX_DISABLE, 0);
    h.hotPlug().pressAttentionButton(1);
    assertEquals(List.of(InterruptKind.INTX, InterruptKind.SUPPRESSED), interrupts);
    assertEquals(Header.STATUS_INTERRUPT, interruptStatus(),
        "Interrupt Disable has no effect on Interrupt Status");
    assertFalse(controller().intxAsserted());

    command(0, Header.COMMAND_INTX_DISABLE);
    assertEquals(List.of(InterruptKind.INTX, InterruptKind.SUPPRESSED, InterruptKind.INTX),
        interrupts, "clearing Interrupt Disable with the level high asserts INTx");
    assertTrue(controller().intxAsserted());
    command(0, 0);
    assertEquals(3, interrupts.size(), "a Command write that changes nothing asserts nothing");
    command(Header.COMMAND_INTX_DISABLE, 0);
    assertFalse(controller().intxAsserted(), "setting it deasserts");
    assertEquals(Header.STATUS_INTERRUPT, interruptStatus());
    clearStatus(PciExpress.SLTSTA_ABP);
    assertEquals(0, interruptStatus());
    command(0, Header.COMMAND_INTX_DISABLE);
    assertEquals(3, interrupts.size(), "no level, nothing to assert");
  }

  @Test
  void turningMsiOffWithTheLevelHighFallsBackToIntx() {
    command(Header.COMMAND_MASTER, 0);
    msi(true);
    enables(PciExpress.SLTCTL_HPIE | PciExpress.SLTCTL_ABPE);
    h.hotPlug().pressAttentionButton(1);
    assertEquals(List.of(InterruptKind.MSI), interrupts);
    assertEquals(0, interruptStatus(), "no INTx emulation interrupt while MSI is on");
    msi(false);
    assertEquals(List.of(InterruptKind.MSI, InterruptKind.INTX), interrupts);
    assertEquals(Header.STATUS_INTERRUPT, interruptStatus());
    msi(true);
    assertEquals(0, interruptStatus());
    assertFalse(controller().intxAsserted());
    assertEquals(2, interrupts.size(), "enabling MSI is no rising edge");
  }

  @Test
  void noMessageWithoutBusMasterEnable() {
    command(0, Header.COMMAND_MASTER);
    msi(true);
    enables(PciExpress.SLTCTL_HPIE | PciExpress.SLTCTL_ABPE);
    h.hotPlug().pressAttentionButton(1);
    assertEquals(List.of(InterruptKind.SUPPRESSED), interrupts);
    command(Header.COMMAND_MASTER, 0);
    assertEquals(List.of(InterruptKind.SUPPRESSED), interrupts, "the edge is gone, not held");
    clearStatus(PciExpress.SLTSTA_ABP);
    h.hotPlug().pressAttentionButton(1);
    assertEquals(List.of(InterruptKind.SUPPRESSED, InterruptKind.MSI), interrupts);
  }

  @Test
  void reassertsOnlyOnANewRisingEdge() {
    command(Header.COMMAND_MASTER, 0);
    msi(true);
    enables(PciExpress.SLTCTL_HPIE | PciExpress.SLTCTL_ABPE | PciExpress.SLTCTL_PDCE);
    h.hotPlug().pressAttentionButton(1);
    h.hotPlug().insert(1, "nvme-ssd", ""); // level already high: no second message
    assertEquals(List.of(InterruptKind.MSI), interrupts);
    clearStatus(PciExpress.SLTSTA_ABP);
    assertEquals(1, interrupts.size(), "PDC still pending: the level stays high");
    clearStatus(PciExpress.SLTSTA_PDC);
    h.hotPlug().pressAttentionButton(1);
    assertEquals(List.of(InterruptKind.MSI, InterruptKind.MSI), interrupts);
  }
}
