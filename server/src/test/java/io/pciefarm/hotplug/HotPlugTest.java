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
import org.junit.jupiter.api.Test;

/** The Linux pciehp flows, end to end through the port's registers. */
class HotPlugTest {
  /** Slot 1: occupied at boot. Slot 2: empty. Slot 3: a switch port with a slot. */
  private static final String RACK = """
      {"name":"rack","slotCommandMs":5,"devices":[
        {"device":1,"model":"root-port-hotplug-acs","slot":1,"children":[{"device":0,"model":"nvme-ssd"}]},
        {"device":2,"model":"root-port-hotplug-acs","slot":2}]}""";

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

  /** What pciehp enables: every event, hot-plug interrupts on, MSI as the delivery. */
  private void enableLikePciehp(int device) {
    PciFunction p = port(device);
    int msi = p.model().layout().capability(CapabilityId.MSI);
    h.write(0, device, 0, msi + Msi.CONTROL, 2, Msi.CONTROL_ENABLE);
    writeSltctl(device, sltctl(device) | PciExpress.SLTCTL_ABPE | PciExpress.SLTCTL_PFDE
        | PciExpress.SLTCTL_MRLSCE | PciExpress.SLTCTL_PDCE | PciExpress.SLTCTL_CCIE
        | PciExpress.SLTCTL_HPIE | PciExpress.SLTCTL_DLLSCE);
    advance(5);
    clearSltsta(device, PciExpress.SLTSTA_EVENTS_RW1C);
    events.clear();
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
    advance(5);
    assertTrue((sltsta(2) & PciExpress.SLTSTA_CC) != 0);
    advance(15);
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
    int bus = port(1).secondaryBusNumber();
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<List<Integer>> reader = pool.submit(() -> {
        List<Integer> bad = new ArrayList<>();
        while (!stop.get()) {
          try {
            int v = h.read(bus, 0, 0, 0, 2);
            if (v != 0x144d && v != 0xFFFF) {
              bad.add(v);
            }
          } catch (ConfigRetryException e) {
            bad.add(-1);
          }
        }
        return bad;
      });
      Thread.sleep(20);
      h.hotPlug().remove(1);
      Thread.sleep(20);
      stop.set(true);
      assertEquals(List.of(), reader.get(10, TimeUnit.SECONDS));
    } finally {
      pool.shutdownNow();
    }
    assertEquals(0xFFFF, h.read(bus, 0, 0, 0, 2));
    assertEquals(0xFFFFFFFF, h.read(bus, 0, 0, Header.BAR0, 4));
    int sta = sltsta(1);
    assertEquals(PciExpress.SLTSTA_PDC | PciExpress.SLTSTA_DLLSC,
        sta & (PciExpress.SLTSTA_PDS | PciExpress.SLTSTA_PDC | PciExpress.SLTSTA_DLLSC));
    assertEquals("slot 1 surprise-removed", events.get(0));
    assertTrue(h.functions().stream().noneMatch(f -> f.deviceModel().name().equals("nvme-ssd")));
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
    assertFalse(h.hotPlug().state(1).linkUp());
    h.hotPlug().closeMrl(1);
    assertEquals(0, sltsta(1) & PciExpress.SLTSTA_MRLSS);
    advance(200);
    assertTrue(h.hotPlug().state(1).linkUp());
  }

  @Test
  void secondaryBusResetRaisesSpuriousEventsUnlessMasked() {
    enableLikePciehp(1);
    h.write(0, 1, 0, Type1.BRIDGE_CONTROL, 2, Type1.BRIDGE_CTL_BUS_RESET);
    advance(2);
    h.write(0, 1, 0, Type1.BRIDGE_CONTROL, 2, 0);
    advance(200);
    assertEquals(PciExpress.SLTSTA_PDC | PciExpress.SLTSTA_DLLSC,
        sltsta(1) & (PciExpress.SLTSTA_PDC | PciExpress.SLTSTA_DLLSC));
    assertEquals(List.of("slot 1 interrupt MSI"), events, "hardware raises a spurious event");
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
    var f = h.resets().reset(new ResetRequest(new ResetTarget.Slot(1), MethodSet.LINK,
        ResetRequest.Mode.WAIT, null, false, Owner.HOST));
    clock.runAll();
    assertTrue(f.get().complete());
    assertEquals(0, sltsta(1) & (PciExpress.SLTSTA_PDC | PciExpress.SLTSTA_DLLSC));
    assertTrue(events.stream().noneMatch(e -> e.contains("interrupt")), events.toString());
    assertTrue(events.stream().noneMatch(e -> e.contains("removed")), events.toString());
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
