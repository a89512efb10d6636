package io.pciefarm.hotplug;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.ownership.Owner;
import io.pciefarm.reset.MethodSet;
import io.pciefarm.reset.ResetRequest;
import io.pciefarm.reset.ResetTarget;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.Msi;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.Type1;
import io.pciefarm.time.ManualClock;
import io.pciefarm.time.TimeBase;
import io.pciefarm.topology.ConfigRetryException;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.HierarchyBuilder;
import io.pciefarm.topology.PciFunction;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The Linux pciehp flows, end to end through the port's registers. */
class HotPlugTest {
  /**
   * Slot 1: occupied at boot. Slot 2: empty. Slot 3: a switch downstream port's slot (with an
   * electromechanical interlock) behind root port 00:03.0, holding a USB controller.
   */
  private static final String RACK = """
      {"name":"rack","slotCommandMs":5,"devices":[
        {"device":1,"model":"root-port-hotplug-acs","slot":1,"children":[{"device":0,"model":"nvme-ssd"}]},
        {"device":2,"model":"root-port-hotplug-acs","slot":2},
        {"device":3,"model":"root-port-acs","children":[
          {"device":0,"model":"switch-upstream-port","children":[
            {"device":0,"model":"switch-downstream-port-hotplug","slot":3,
             "slotFeatures":{"attentionButton":true,"powerController":true,"mrlSensor":true,
               "attentionIndicator":true,"powerIndicator":true,"electromechanicalInterlock":true},
             "children":[{"device":0,"model":"usb3-bus-reset-only"}]}]}]}]}""";

  private final ManualClock clock = new ManualClock();
  private final Hierarchy h = HierarchyBuilder.build(TopologyFiles.parse(RACK, "rack"),
      new TimeBase(clock, 1.0));
  private final List<String> events = new ArrayList<>();

  HotPlugTest() {
    h.hotPlug().observer(new SlotObserver() {
      @Override
      public void presenceChanged(PciFunction port, int slot, boolean present, String model,
          boolean surprise) {
        events.add("slot " + slot + (present ? " inserted " + model
            : surprise ? " surprise-removed" : " removed"));
      }

      @Override
      public void powerChanged(PciFunction port, int slot, boolean on) {
        events.add("slot " + slot + " power " + (on ? "on" : "off"));
      }

      @Override
      public void attentionButton(PciFunction port, int slot) {
        events.add("slot " + slot + " button");
      }

      @Override
      public void interrupt(PciFunction port, int slot, InterruptKind kind) {
        events.add("slot " + slot + " interrupt " + kind);
      }

      @Override
      public void commandCompleted(PciFunction port, int slot) {
        events.add("slot " + slot + " command completed");
      }

      @Override
      public void interlockChanged(PciFunction port, int slot, boolean engaged) {
        events.add("slot " + slot + " interlock " + (engaged ? "engaged" : "released"));
      }
    });
  }

  private PciFunction port(int device) {
    return h.lookup(0, device << 3);
  }

  private int exp(PciFunction p) {
    return p.model().layout().capability(CapabilityId.EXP);
  }

  private int sltctl(int device) {
    return h.read(0, device, 0, exp(port(device)) + PciExpress.SLOT_CONTROL, 2);
  }

  private int sltsta(int device) {
    return h.read(0, device, 0, exp(port(device)) + PciExpress.SLOT_STATUS, 2);
  }

  private void writeSltctl(int device, int value) {
    h.write(0, device, 0, exp(port(device)) + PciExpress.SLOT_CONTROL, 2, value);
  }

  private void clearSltsta(int device, int bits) {
    h.write(0, device, 0, exp(port(device)) + PciExpress.SLOT_STATUS, 2, bits);
  }

  private int lnksta(int device) {
    return h.read(0, device, 0, exp(port(device)) + PciExpress.LINK_STATUS, 2);
  }

  private void advance(long ms) {
    clock.advance(Duration.ofMillis(ms));
  }

  /** Every event enable, and HPIE: what pciehp turns on. */
  private static final int PCIEHP_ENABLES = PciExpress.SLTCTL_ABPE | PciExpress.SLTCTL_PFDE
      | PciExpress.SLTCTL_MRLSCE | PciExpress.SLTCTL_PDCE | PciExpress.SLTCTL_CCIE
      | PciExpress.SLTCTL_HPIE | PciExpress.SLTCTL_DLLSCE;

  /** What pciehp enables: every event, hot-plug interrupts on, MSI as the delivery. */
  private void enableLikePciehp(int device) {
    enableLikePciehp(port(device));
  }

  /** The same on any port, through its raw registers (it may sit behind a switch). */
  private void enableLikePciehp(PciFunction p) {
    int msi = p.model().layout().capability(CapabilityId.MSI);
    p.config().write(Header.COMMAND, 2, p.config().read(Header.COMMAND, 2)
        | Header.COMMAND_MASTER);
    p.config().write(msi + Msi.CONTROL, 2, Msi.CONTROL_ENABLE);
    p.config().write(exp(p) + PciExpress.SLOT_CONTROL, 2, raw(p, PciExpress.SLOT_CONTROL)
        | PCIEHP_ENABLES);
    advance(5);
    p.config().write(exp(p) + PciExpress.SLOT_STATUS, 2, PciExpress.SLTSTA_EVENTS_RW1C);
    events.clear();
  }

  /** A PCI Express capability register of {@code p}, read raw (no routing, no readiness). */
  private int raw(PciFunction p, int offset) {
    return p.config().read(exp(p) + offset, 2);
  }

  @Test
  void bootTimeOccupiedSlot() {
    SlotState s = h.hotPlug().state(1);
    assertTrue(s.present() && s.powered() && s.linkUp());
    assertEquals(Indicator.ON, s.power());
    assertTrue((sltsta(1) & PciExpress.SLTSTA_PDS) != 0);
    assertTrue((lnksta(1) & PciExpress.LNKSTA_DLL_LINK_ACTIVE) != 0);
    assertEquals(0x144d, h.read(1, 0, 0, 0, 2));
    SlotState empty = h.hotPlug().state(2);
    assertFalse(empty.present() || empty.powered() || empty.linkUp());
  }

  @Test
  void commandCompletesAfterItsLatency() {
    writeSltctl(2, sltctl(2) ^ (PciExpress.INDICATOR_BLINK << PciExpress.SLTCTL_AIC_SHIFT));
    assertEquals(0, sltsta(2) & PciExpress.SLTSTA_CC);
    advance(4);
    assertEquals(0, sltsta(2) & PciExpress.SLTSTA_CC);
    advance(1);
    assertEquals(PciExpress.SLTSTA_CC, sltsta(2) & PciExpress.SLTSTA_CC);
    clearSltsta(2, PciExpress.SLTSTA_CC);
    assertEquals(0, sltsta(2) & PciExpress.SLTSTA_CC, "RW1C");
  }

  @Test
  void powerOnSequence() {
    enableLikePciehp(2);
    h.hotPlug().insert(2, "nvme-ssd", "new disk");
    assertEquals(PciExpress.SLTSTA_PDS | PciExpress.SLTSTA_PDC,
        sltsta(2) & (PciExpress.SLTSTA_PDS | PciExpress.SLTSTA_PDC));
    assertEquals(List.of("slot 2 inserted nvme-ssd", "slot 2 interrupt MSI"), events);
    int bus = port(2).secondaryBusNumber();
    assertEquals(0xFFFF, h.read(bus, 0, 0, 0, 2), "unpowered card answers nothing");
    // pciehp: clear PDC, power on with the power indicator on, wait for Command Completed.
    clearSltsta(2, PciExpress.SLTSTA_PDC);
    writeSltctl(2, (sltctl(2) & ~PciExpress.SLTCTL_PCC & ~PciExpress.SLTCTL_PIC_MASK)
        | PciExpress.INDICATOR_ON << PciExpress.SLTCTL_PIC_SHIFT);
    advance(4);
    assertEquals(0, sltsta(2) & PciExpress.SLTSTA_CC, "the command takes 5 ms");
    advance(1);
    assertTrue((sltsta(2) & PciExpress.SLTSTA_CC) != 0);
    assertTrue(h.hotPlug().state(2).powered());
    advance(14); // 19 ms after power on: still training
    assertEquals(0, lnksta(2) & PciExpress.LNKSTA_DLL_LINK_ACTIVE, "not before training ends");
    assertEquals(0, sltsta(2) & PciExpress.SLTSTA_DLLSC);
    assertEquals(0xFFFF, h.read(bus, 0, 0, 0, 2), "no link, no answer");
    advance(1);
    assertTrue((lnksta(2) & PciExpress.LNKSTA_DLL_LINK_ACTIVE) != 0, "link trained");
    assertTrue((sltsta(2) & PciExpress.SLTSTA_DLLSC) != 0);
    assertEquals(0x0001, h.read(bus, 0, 0, 0, 2), "Retry Status until ready");
    advance(100);
    assertEquals(0x144d, h.read(bus, 0, 0, 0, 2));
    assertEquals(0, h.read(bus, 0, 0, Header.BAR0, 4) & ~0xF, "a hot-added card is unconfigured");
  }

  @Test
  void attentionButtonInsertionAndOrderlyRemoval() {
    enableLikePciehp(2);
    h.hotPlug().insert(2, "nic-flr-hang", "");
    clearSltsta(2, PciExpress.SLTSTA_PDC);
    h.hotPlug().pressAttentionButton(2);
    assertTrue((sltsta(2) & PciExpress.SLTSTA_ABP) != 0);
    clearSltsta(2, PciExpress.SLTSTA_ABP);
    // OS: blink the power indicator for 5 s, then power on.
    writeSltctl(2, (sltctl(2) & ~PciExpress.SLTCTL_PIC_MASK)
        | PciExpress.INDICATOR_BLINK << PciExpress.SLTCTL_PIC_SHIFT);
    advance(5000);
    writeSltctl(2, (sltctl(2) & ~PciExpress.SLTCTL_PCC & ~PciExpress.SLTCTL_PIC_MASK)
        | PciExpress.INDICATOR_ON << PciExpress.SLTCTL_PIC_SHIFT);
    advance(200);
    int bus = port(2).secondaryBusNumber();
    assertEquals(0x10ec, h.read(bus, 0, 0, 0, 2));
    // Removal: button, blink, power off, indicator off, then the card may be pulled.
    h.hotPlug().pressAttentionButton(2);
    clearSltsta(2, PciExpress.SLTSTA_ABP | PciExpress.SLTSTA_CC | PciExpress.SLTSTA_DLLSC);
    writeSltctl(2, (sltctl(2) & ~PciExpress.SLTCTL_PIC_MASK)
        | PciExpress.INDICATOR_BLINK << PciExpress.SLTCTL_PIC_SHIFT);
    advance(5000);
    writeSltctl(2, (sltctl(2) & ~PciExpress.SLTCTL_PIC_MASK) | PciExpress.SLTCTL_PCC
        | PciExpress.INDICATOR_OFF << PciExpress.SLTCTL_PIC_SHIFT);
    advance(5);
    assertEquals(0, lnksta(2) & PciExpress.LNKSTA_DLL_LINK_ACTIVE);
    assertEquals(0xFFFF, h.read(bus, 0, 0, 0, 2));
    events.clear();
    h.hotPlug().remove(2);
    assertEquals("slot 2 removed", events.get(0), "not a surprise: power was off");
    assertEquals(0, sltsta(2) & PciExpress.SLTSTA_PDS);
    assertFalse(h.hotPlug().state(2).present());
  }

  @Test
  void surpriseRemovalDuringConfigTraffic() throws Exception {
    enableLikePciehp(1);
    int bus = port(1).secondaryBusNumber();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger before = new AtomicInteger();
    AtomicInteger after = new AtomicInteger();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<List<Integer>> reader = pool.submit(() -> {
        List<Integer> bad = new ArrayList<>();
        while (!stop.get()) {
          try {
            int v = h.read(bus, 0, 0, 0, 2);
            if (v == 0x144d) {
              before.incrementAndGet();
            } else if (v == 0xFFFF) {
              after.incrementAndGet();
            } else {
              bad.add(v);
            }
          } catch (ConfigRetryException e) {
            bad.add(-1);
          }
        }
        return bad;
      });
      awaitAtLeast(before, 1000, "reads of the card before removal");
      h.hotPlug().remove(1);
      int seen = before.get();
      awaitAtLeast(after, 1000, "reads of all ones after removal");
      stop.set(true);
      assertEquals(List.of(), reader.get(10, TimeUnit.SECONDS), "only the card or all ones");
      assertTrue(before.get() <= seen + 1, "no read sees the card once it is gone: "
          + before.get() + " vs " + seen);
    } finally {
      stop.set(true);
      pool.shutdownNow();
    }
    assertEquals(0xFFFF, h.read(bus, 0, 0, 0, 2));
    assertEquals(0xFFFFFFFF, h.read(bus, 0, 0, Header.BAR0, 4));
    int sta = sltsta(1);
    assertEquals(PciExpress.SLTSTA_PDC | PciExpress.SLTSTA_DLLSC,
        sta & (PciExpress.SLTSTA_PDS | PciExpress.SLTSTA_PDC | PciExpress.SLTSTA_DLLSC));
    assertEquals(List.of("slot 1 surprise-removed", "slot 1 interrupt MSI"), events,
        "presence and link lost together: one interrupt");
    assertTrue(h.functions().stream().noneMatch(f -> f.deviceModel().name().equals("nvme-ssd")));
  }

  /** Waits (bounded, generously) until another thread has counted {@code n}. */
  private static void awaitAtLeast(AtomicInteger count, int n, String what)
      throws InterruptedException {
    long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (count.get() < n) {
      if (System.nanoTime() - giveUp > 0) {
        throw new AssertionError("only " + count.get() + " " + what);
      }
      Thread.sleep(1);
    }
  }

  @Test
  void powerFaultCutsPowerUntilSoftwareTurnsTheSlotOff() {
    enableLikePciehp(1);
    h.hotPlug().powerFault(1);
    assertTrue((sltsta(1) & PciExpress.SLTSTA_PFD) != 0);
    assertFalse(h.hotPlug().state(1).powered());
    assertEquals(0, lnksta(1) & PciExpress.LNKSTA_DLL_LINK_ACTIVE);
    assertEquals(List.of("slot 1 interrupt MSI"), events.subList(events.size() - 1, events.size()));
    // pciehp: power off (acknowledges the fault), clear PFD, power on again.
    writeSltctl(1, sltctl(1) | PciExpress.SLTCTL_PCC);
    clearSltsta(1, PciExpress.SLTSTA_EVENTS_RW1C);
    writeSltctl(1, sltctl(1) & ~PciExpress.SLTCTL_PCC);
    advance(200);
    assertTrue(h.hotPlug().state(1).linkUp());
    assertEquals(0x144d, h.read(port(1).secondaryBusNumber(), 0, 0, 0, 2));
  }

  @Test
  void mrlOpenCutsPowerAndClosingRestoresIt() {
    h.hotPlug().openMrl(1);
    assertTrue((sltsta(1) & (PciExpress.SLTSTA_MRLSS | PciExpress.SLTSTA_MRLSC))
        == (PciExpress.SLTSTA_MRLSS | PciExpress.SLTSTA_MRLSC));
    SlotState open = h.hotPlug().state(1);
    assertFalse(open.linkUp());
    assertEquals(0, open.slotControl() & PciExpress.SLTCTL_PCC, "Slot Control still says on");
    assertFalse(open.powered(), "but an open latch removes power from the slot");
    h.hotPlug().closeMrl(1);
    assertEquals(0, sltsta(1) & PciExpress.SLTSTA_MRLSS);
    assertTrue(h.hotPlug().state(1).powered());
    advance(200);
    assertTrue(h.hotPlug().state(1).linkUp());
  }

  /** Power is lost and regained in many ways; the controller reports each change once. */
  @Test
  void everyChangeOfSlotPowerIsReported() {
    h.hotPlug().openMrl(1);
    h.hotPlug().closeMrl(1);
    h.hotPlug().powerFault(1);
    assertFalse(h.hotPlug().state(1).powered());
    writeSltctl(1, sltctl(1) | PciExpress.SLTCTL_PCC); // acknowledges the fault: still off
    writeSltctl(1, sltctl(1) & ~PciExpress.SLTCTL_PCC);
    h.hotPlug().openMrl(2);
    writeSltctl(2, sltctl(2) & ~PciExpress.SLTCTL_PCC); // commanded on, latch open: still off
    h.hotPlug().closeMrl(2);
    h.hotPlug().powerFault(2);
    writeSltctl(2, sltctl(2) | PciExpress.SLTCTL_PCC);
    assertEquals(List.of("slot 1 power off", "slot 1 power on", "slot 1 power off",
        "slot 1 power on", "slot 2 power on", "slot 2 power off"),
        events.stream().filter(e -> e.contains("power")).toList());
    advance(200);
    assertEquals(0x144d, h.read(port(1).secondaryBusNumber(), 0, 0, 0, 2), "slot 1 is back");
  }

  /** A fault on a slot that is off trips nothing: powering it later just works. */
  @Test
  void aPowerFaultOnAnUnpoweredSlotOnlyLatches() {
    h.hotPlug().insert(2, "nvme-ssd", "");
    h.hotPlug().powerFault(2);
    assertTrue((sltsta(2) & PciExpress.SLTSTA_PFD) != 0);
    writeSltctl(2, sltctl(2) & ~PciExpress.SLTCTL_PCC);
    advance(200);
    assertTrue(h.hotPlug().state(2).linkUp());
  }

  @Test
  void secondaryBusResetRaisesSpuriousEvents() {
    enableLikePciehp(1);
    h.write(0, 1, 0, Type1.BRIDGE_CONTROL, 2, Type1.BRIDGE_CTL_BUS_RESET);
    advance(2);
    h.write(0, 1, 0, Type1.BRIDGE_CONTROL, 2, 0);
    advance(200);
    assertEquals(PciExpress.SLTSTA_PDC | PciExpress.SLTSTA_DLLSC,
        sltsta(1) & (PciExpress.SLTSTA_PDC | PciExpress.SLTSTA_DLLSC));
    assertEquals(List.of("slot 1 interrupt MSI"), events, "hardware raises a spurious event");
  }

  /**
   * The OS masked the slot's presence and link events first (what pciehp_reset_slot does):
   * hardware still latches Presence Detect Changed and DLL State Changed, as status bits latch
   * whatever their enables say, but nothing interrupts; cleared before unmasking, they never
   * will.
   */
  @Test
  void secondaryBusResetTheOsMaskedRaisesNoInterrupt() {
    enableLikePciehp(1);
    int before = sltctl(1);
    writeSltctl(1, before & ~(PciExpress.SLTCTL_PDCE | PciExpress.SLTCTL_DLLSCE));
    advance(5);
    clearSltsta(1, PciExpress.SLTSTA_CC);
    events.clear();
    h.write(0, 1, 0, Type1.BRIDGE_CONTROL, 2, Type1.BRIDGE_CTL_BUS_RESET);
    advance(2);
    h.write(0, 1, 0, Type1.BRIDGE_CONTROL, 2, 0);
    advance(200);
    assertEquals(PciExpress.SLTSTA_PDS | PciExpress.SLTSTA_PDC | PciExpress.SLTSTA_DLLSC,
        sltsta(1) & (PciExpress.SLTSTA_PDS | PciExpress.SLTSTA_PDC | PciExpress.SLTSTA_DLLSC),
        "latched as hardware does; the card is still there");
    assertEquals(List.of(), events, "masked: no interrupt");
    clearSltsta(1, PciExpress.SLTSTA_PDC | PciExpress.SLTSTA_DLLSC);
    writeSltctl(1, before);
    advance(5);
    assertEquals(List.of("slot 1 command completed", "slot 1 interrupt MSI"), events,
        "unmasked after clearing: only the unmasking command's own completion interrupts");
    assertEquals(0x144d, h.read(port(1).secondaryBusNumber(), 0, 0, 0, 2));
  }

  @Test
  void slotResetThroughTheFarmShowsNoSpuriousRemoval() throws Exception {
    enableLikePciehp(1);
    // Command Completed interrupts off: the reset's own Slot Control writes are commands, and
    // their completion would interrupt legitimately. Any interrupt left is a spurious event.
    writeSltctl(1, sltctl(1) & ~PciExpress.SLTCTL_CCIE);
    advance(5);
    clearSltsta(1, PciExpress.SLTSTA_EVENTS_RW1C);
    events.clear();
    int before = sltctl(1);
    var f = h.resets().reset(new ResetRequest(new ResetTarget.Slot(1), MethodSet.LINK,
        ResetRequest.Mode.WAIT, null, false, Owner.HOST));
    clock.runAll();
    assertTrue(f.get().complete());
    assertEquals(0, sltsta(1) & (PciExpress.SLTSTA_PDC | PciExpress.SLTSTA_DLLSC));
    assertTrue(events.stream().noneMatch(e -> e.contains("interrupt")), events.toString());
    assertTrue(events.stream().noneMatch(e -> e.contains("removed")), events.toString());
    assertEquals(PciExpress.SLTCTL_HPIE | PciExpress.SLTCTL_PDCE | PciExpress.SLTCTL_DLLSCE,
        sltctl(1) & (PciExpress.SLTCTL_HPIE | PciExpress.SLTCTL_PDCE | PciExpress.SLTCTL_DLLSCE),
        "presence and link events unmasked again");
    assertEquals(before, sltctl(1), "Slot Control as the OS left it");
    assertEquals(0x144d, h.read(port(1).secondaryBusNumber(), 0, 0, 0, 2));
  }

  /**
   * The farm's power cycle of a slot is masked as its slot reset is: the card goes cold (power
   * off, then on, both reported) but the OS sees no removal and no interrupt.
   */
  @Test
  void powerCycleThroughTheFarmShowsNoSpuriousRemoval() throws Exception {
    enableLikePciehp(1);
    writeSltctl(1, sltctl(1) & ~PciExpress.SLTCTL_CCIE);
    advance(5);
    clearSltsta(1, PciExpress.SLTSTA_EVENTS_RW1C);
    events.clear();
    PciFunction nvme = h.lookup(port(1).secondaryBusNumber(), 0);
    int aer = nvme.model().layout().extendedCapability(CapabilityId.EXT_AER)
        + io.pciefarm.spec.ExtendedCapabilities.AER_UNCOR_STATUS;
    nvme.config().hardwareUpdate(aer, 4, 0, 1 << 14); // a sticky error bit
    int before = sltctl(1);
    var f = h.resets().reset(new ResetRequest(new ResetTarget.Slot(1),
        java.util.EnumSet.of(io.pciefarm.reset.ResetMethod.POWER_CYCLE),
        ResetRequest.Mode.WAIT, null, false, Owner.HOST));
    clock.runAll();
    assertTrue(f.get().complete());
    assertEquals(List.of("slot 1 power off", "slot 1 command completed", "slot 1 power on",
        "slot 1 command completed"), events, "masking and unmasking are commands; nothing else");
    assertEquals(0, sltsta(1) & (PciExpress.SLTSTA_PDC | PciExpress.SLTSTA_DLLSC));
    assertEquals(before, sltctl(1), "presence and link events unmasked again");
    assertEquals(0, nvme.config().read(aer, 4), "cold: sticky bits cleared");
    assertEquals(0x144d, h.read(port(1).secondaryBusNumber(), 0, 0, 0, 2));
    assertTrue(h.hotPlug().state(1).powered());
  }

  // ---- slot 3: a reset of the port that implements the slot ----

  private PciFunction slot3() {
    return h.slotPort(3);
  }

  private void busResetAboveSlot3() {
    h.write(0, 3, 0, Type1.BRIDGE_CONTROL, 2, Type1.BRIDGE_CTL_BUS_RESET);
    advance(2);
    h.write(0, 3, 0, Type1.BRIDGE_CONTROL, 2, 0);
    advance(200);
  }

  /**
   * A bus reset above a switch resets its downstream port, slot and all: Slot Control returns to
   * its defaults (power controller off, indicators off, every enable clear), so the slot loses
   * power; what is physical (the card, the latch, the interlock) stays as it is.
   */
  @Test
  void aResetOfTheSlotsPortKeepsWhatIsPhysicalAndPowersTheSlotOff() {
    PciFunction p = slot3();
    SlotState boot = h.hotPlug().state(3);
    assertTrue(boot.present() && boot.powered() && boot.linkUp());
    enableLikePciehp(p);
    p.config().write(exp(p) + PciExpress.SLOT_CONTROL, 2, raw(p, PciExpress.SLOT_CONTROL)
        | PciExpress.SLTCTL_EIC);
    advance(5);
    assertEquals(List.of("slot 3 interlock engaged", "slot 3 command completed",
        "slot 3 interrupt MSI"), events);
    events.clear();

    busResetAboveSlot3();
    int sta = raw(p, PciExpress.SLOT_STATUS);
    assertEquals(PciExpress.SLTSTA_PDS | PciExpress.SLTSTA_EIS, sta,
        "presence and interlock survive; no event is latched across the reset");
    int ctl = raw(p, PciExpress.SLOT_CONTROL);
    assertEquals(0, ctl & PCIEHP_ENABLES, "enables reset");
    assertEquals(PciExpress.SLTCTL_PCC, ctl & PciExpress.SLTCTL_PCC, "power controller off");
    assertEquals(PciExpress.INDICATOR_OFF, ctl >> PciExpress.SLTCTL_PIC_SHIFT & 3);
    SlotState after = h.hotPlug().state(3);
    assertTrue(after.present() && after.interlockEngaged());
    assertFalse(after.powered() || after.linkUp());
    assertEquals(0, raw(p, PciExpress.LINK_STATUS) & PciExpress.LNKSTA_DLL_LINK_ACTIVE);
    assertEquals(List.of("slot 3 power off"), events, "the power loss is reported");
    PciFunction usb = p.secondary().functions().get(0);
    assertFalse(usb.ready(), "the card waits for power");
    assertEquals(HotPlugException.Kind.WRONG_STATE, assertThrows(HotPlugException.class,
        () -> h.hotPlug().remove(3)).kind(), "the interlock still holds the card");

    // Software powers the slot again, as pciehp does for an occupied slot it finds off.
    p.config().write(exp(p) + PciExpress.SLOT_CONTROL, 2, ctl & ~PciExpress.SLTCTL_PCC);
    advance(200);
    assertTrue(h.hotPlug().state(3).linkUp());
    assertTrue(usb.ready());
    assertEquals(List.of("slot 3 power off", "slot 3 power on", "slot 3 command completed"),
        events);
  }

  /** The same across a power cycle above the switch, with the latch open throughout. */
  @Test
  void aColdResetOfTheSlotsPortKeepsTheLatchState() {
    PciFunction p = slot3();
    h.hotPlug().openMrl(3);
    events.clear();
    h.resetEngine().powerCycle(port(3));
    advance(200);
    assertEquals(PciExpress.SLTSTA_PDS | PciExpress.SLTSTA_MRLSS, raw(p, PciExpress.SLOT_STATUS));
    assertEquals(List.of(), events, "already off: the latch had removed power");
    h.hotPlug().closeMrl(3);
    assertFalse(h.hotPlug().state(3).powered(), "Slot Control, reset, keeps it off");
    p.config().write(exp(p) + PciExpress.SLOT_CONTROL, 2,
        raw(p, PciExpress.SLOT_CONTROL) & ~PciExpress.SLTCTL_PCC);
    advance(200);
    assertTrue(h.hotPlug().state(3).linkUp());
    assertTrue(p.secondary().functions().get(0).ready());
  }

  /** Save and restore around a bus reset above the switch put Slot Control, hence power, back. */
  @Test
  void restoringTheSlotsPortAfterAResetPowersTheSlotAgain() throws Exception {
    PciFunction p = slot3();
    int before = raw(p, PciExpress.SLOT_CONTROL);
    var f = h.resets().reset(new ResetRequest(new ResetTarget.Bus(port(3).secondaryBusNumber()),
        MethodSet.LINK, ResetRequest.Mode.WAIT, null, true, Owner.HOST));
    clock.runAll();
    assertEquals(List.of(), f.get().notReady());
    assertEquals(before, raw(p, PciExpress.SLOT_CONTROL));
    assertTrue(h.hotPlug().state(3).linkUp());
    assertEquals(List.of("slot 3 power off", "slot 3 power on"),
        events.stream().filter(e -> e.contains("power")).toList());
    assertEquals(PciExpress.SLTSTA_PDS, raw(p, PciExpress.SLOT_STATUS) & PciExpress.SLTSTA_PDS);
  }

  @Test
  void operatorErrors() {
    HotPlugException full = assertThrows(HotPlugException.class,
        () -> h.hotPlug().insert(1, "nvme-ssd", ""));
    assertEquals(HotPlugException.Kind.WRONG_STATE, full.kind());
    assertEquals(HotPlugException.Kind.WRONG_STATE, assertThrows(HotPlugException.class,
        () -> h.hotPlug().remove(2)).kind());
    assertEquals(HotPlugException.Kind.NO_SLOT, assertThrows(HotPlugException.class,
        () -> h.hotPlug().insert(9, "nvme-ssd", "")).kind());
    assertEquals(HotPlugException.Kind.BAD_CARD, assertThrows(HotPlugException.class,
        () -> h.hotPlug().insert(2, "warp-drive", "")).kind());
    assertEquals(HotPlugException.Kind.BAD_CARD, assertThrows(HotPlugException.class,
        () -> h.hotPlug().insert(2, "pci-e1000", "")).kind(), "a conventional card");
    assertEquals(HotPlugException.Kind.BAD_CARD, assertThrows(HotPlugException.class,
        () -> h.hotPlug().insert(2, "switch-upstream-port", "")).kind());
  }
}
