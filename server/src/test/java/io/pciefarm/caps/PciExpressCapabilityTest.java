package io.pciefarm.caps;

import static io.pciefarm.caps.Probe.afterWritingZeroToSetBits;
import static io.pciefarm.caps.Probe.assertHex;
import static io.pciefarm.caps.Probe.record;
import static io.pciefarm.caps.Probe.rwBits;
import static io.pciefarm.caps.Probe.space;
import static io.pciefarm.caps.Probe.stickyBits;
import static io.pciefarm.caps.Probe.w1cBits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.config.ConfigSpace;
import io.pciefarm.config.HookedRegister;
import io.pciefarm.config.Register;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.PortType;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PciExpressCapabilityTest {
  private static final int BASE = 0x40;

  private static int at(int register) {
    return BASE + register;
  }

  private static ConfigSpace express(PciExpressCapability.Builder b) {
    return space(b.build());
  }

  private static Set<Register> hooked(ConfigSpace s) {
    return s.layout().hookedRegisters().stream().map(HookedRegister::register)
        .collect(Collectors.toSet());
  }

  // ---- every port type with default options: the per-type masks ----

  static Stream<Arguments> portTypes() {
    // type, Capabilities register, DevCtl RW, DevCtl reset, LnkCap, LnkCtl RW, LnkSta RW1C,
    // RootCtl RW, DevCtl2 RW, SltSta reset
    return Stream.of(
        Arguments.of(PortType.ENDPOINT, 0x0002, 0x79FF, 0x2810, 0x00400011, 0x02CB, 0, 0, 0x1F,
            0),
        Arguments.of(PortType.LEGACY_ENDPOINT, 0x0012, 0x79FF, 0x2810, 0x00400011, 0x02CB, 0, 0,
            0x1F, 0),
        Arguments.of(PortType.ROOT_PORT, 0x0042, 0x09FF, 0x0810, 0x00700011, 0x0ED3, 0xC000,
            0x0F, 0x1F, 0x40),
        Arguments.of(PortType.UPSTREAM_PORT, 0x0052, 0x09FF, 0x0810, 0x00400011, 0x02C3, 0, 0,
            0, 0),
        Arguments.of(PortType.DOWNSTREAM_PORT, 0x0062, 0x09FF, 0x0810, 0x00700011, 0x0ED3,
            0xC000, 0, 0, 0x40),
        Arguments.of(PortType.PCIE_TO_PCI_BRIDGE, 0x0072, 0xF9FF, 0x2810, 0x00400011, 0x02CB, 0,
            0, 0x1F, 0),
        Arguments.of(PortType.PCI_TO_PCIE_BRIDGE, 0x0082, 0x79FF, 0x2810, 0x00400011, 0x02CB, 0,
            0, 0, 0),
        Arguments.of(PortType.RC_INTEGRATED_ENDPOINT, 0x0092, 0x79FF, 0x2810, 0, 0, 0, 0, 0x1F,
            0),
        Arguments.of(PortType.RC_EVENT_COLLECTOR, 0x00A2, 0x09FF, 0x0810, 0, 0, 0, 0x0F, 0, 0));
  }

  @ParameterizedTest
  @MethodSource("portTypes")
  void defaultMasksPerPortType(PortType type, int caps, int devctlRw, int devctlReset,
      int lnkcap, int lnkctlRw, int lnkstaW1c, int rootctlRw, int devctl2Rw, int sltsta) {
    PciExpressCapability cap = PciExpressCapability.builder(type).build();
    assertEquals(0x3C, cap.length());
    assertEquals(0x10, cap.id());
    ConfigSpace s = space(cap);
    assertHex(0x10, s.read(BASE, 1), "ID");
    assertHex(caps, s.read(at(PciExpress.CAPABILITIES), 2), "Capabilities register");
    assertHex(0, rwBits(s, at(PciExpress.CAPABILITIES), 2), "Capabilities writable bits");
    assertHex(0, rwBits(s, at(PciExpress.DEVICE_CAPABILITIES), 4), "DevCap writable bits");
    assertHex(devctlReset, s.read(at(PciExpress.DEVICE_CONTROL), 2), "DevCtl reset value");
    assertHex(devctlRw, rwBits(s, at(PciExpress.DEVICE_CONTROL), 2), "DevCtl writable bits");
    assertHex(0x000F, w1cBits(s, at(PciExpress.DEVICE_STATUS), 2), "DevSta RW1C bits");
    assertHex(lnkcap, s.read(at(PciExpress.LINK_CAPABILITIES), 4), "LnkCap");
    assertHex(0, rwBits(s, at(PciExpress.LINK_CAPABILITIES), 4), "LnkCap writable bits");
    assertHex(lnkctlRw, rwBits(s, at(PciExpress.LINK_CONTROL), 2), "LnkCtl writable bits");
    assertHex(0, rwBits(s, at(PciExpress.LINK_STATUS), 2), "LnkSta writable bits");
    assertHex(lnkstaW1c, w1cBits(s, at(PciExpress.LINK_STATUS), 2), "LnkSta RW1C bits");
    assertHex(0, s.read(at(PciExpress.SLOT_CAPABILITIES), 4), "SltCap without a slot");
    assertHex(0, rwBits(s, at(PciExpress.SLOT_CONTROL), 2), "SltCtl writable bits");
    assertHex(0, w1cBits(s, at(PciExpress.SLOT_STATUS), 2), "SltSta RW1C bits");
    assertHex(sltsta, s.read(at(PciExpress.SLOT_STATUS), 2), "SltSta reset value");
    assertHex(rootctlRw, rwBits(s, at(PciExpress.ROOT_CONTROL), 2), "RootCtl writable bits");
    assertHex(0, s.read(at(PciExpress.ROOT_CAPABILITIES), 2), "RootCap");
    assertHex(rootctlRw == 0 ? 0 : 0x00010000, w1cBits(s, at(PciExpress.ROOT_STATUS), 4),
        "RootSta RW1C bits");
    assertHex(0, rwBits(s, at(PciExpress.DEVICE_CAPABILITIES_2), 4), "DevCap2 writable bits");
    assertHex(devctl2Rw, rwBits(s, at(PciExpress.DEVICE_CONTROL_2), 2), "DevCtl2 writable");
    // nothing in the capability is writable in SltCap2, SltCtl2 or SltSta2
    assertHex(0, rwBits(s, at(PciExpress.SLOT_CAPABILITIES_2), 4), "SltCap2 writable bits");
    assertHex(0, rwBits(s, at(PciExpress.SLOT_CONTROL_2), 4), "SltCtl2/SltSta2 writable");
    for (int off = 0; off < 0x3C; off += 4) {
      // only Link Control 2 is sticky (RWS) at 2.5 GT/s; LnkSta2's RW1CS bit starts at 8 GT/s
      int sticky = off == PciExpress.LINK_CONTROL_2 && lnkcap != 0 ? 0x0000FFBF : 0;
      assertHex(sticky, stickyBits(s, at(off), 4), "sticky bits at +0x"
          + Integer.toHexString(off));
    }

    Set<Register> expected = new java.util.HashSet<>(List.of(Register.DEVICE_CONTROL));
    if (lnkcap != 0) {
      expected.add(Register.LINK_CONTROL);
    }
    if (rootctlRw != 0) {
      expected.add(Register.ROOT_CONTROL);
    }
    assertEquals(expected, hooked(s));
  }

  // ---- endpoints ----

  @Test
  void endpointWithFlrAndFastLink() {
    ConfigSpace s = express(PciExpressCapability.builder(PortType.ENDPOINT).flr(true)
        .maxPayload(512).link(PciExpress.LINK_SPEED_8GT, 4));
    // MPS 512 (010b), ExtTag, L0s/L1 acceptable latency no limit, RBER, FLR
    assertHex(0x10008FE2, s.read(at(PciExpress.DEVICE_CAPABILITIES), 4), "DevCap");
    assertHex(0x79FF, rwBits(s, at(PciExpress.DEVICE_CONTROL), 2), "DevCtl writable bits");
    assertHex(0x00400043, s.read(at(PciExpress.LINK_CAPABILITIES), 4), "LnkCap: 8 GT/s x4");
    assertHex(0x1043, s.read(at(PciExpress.LINK_STATUS), 2), "LnkSta: 8 GT/s x4, SlotClk");
    assertHex(0x0000000E, s.read(at(PciExpress.LINK_CAPABILITIES_2), 4), "LnkCap2 speeds");
    assertHex(0x0003, s.read(at(PciExpress.LINK_CONTROL_2), 2), "LnkCtl2 target speed");
    assertHex(0xFFBF, rwBits(s, at(PciExpress.LINK_CONTROL_2), 2), "LnkCtl2 writable bits");
    assertHex(0x0020, w1cBits(s, at(PciExpress.LINK_STATUS_2), 2), "LnkSta2 RW1C bits");
    assertHex(0x00000013, s.read(at(PciExpress.DEVICE_CAPABILITIES_2), 4), "DevCap2");
  }

  @Test
  void initiateFlrIsATriggerThatReachesTheListener() {
    ConfigSpace s = express(PciExpressCapability.builder(PortType.ENDPOINT).flr(true));
    int devctl = at(PciExpress.DEVICE_CONTROL);
    assertHex(0x8000, s.layout().triggerMask(devctl >>> 2) & 0xFFFF, "DevCtl trigger mask");
    Probe.Recorder r = record(s);
    s.write(devctl, 2, 0x2810 | PciExpress.DEVCTL_BCR_FLR);
    assertHex(0x2810, s.read(devctl, 2), "Initiate FLR reads back 0");
    Probe.Call c = r.only();
    assertEquals(new HookedRegister(Register.DEVICE_CONTROL, devctl, 2), c.register());
    assertHex(0x2810, c.oldValue(), "old");
    assertHex(0x2810, c.newValue(), "new");
    assertHex(0xA810, c.written(), "written carries the trigger");
  }

  @Test
  void endpointWithoutFlrHasBit15ReadOnly() {
    ConfigSpace s = express(PciExpressCapability.builder(PortType.ENDPOINT));
    int devctl = at(PciExpress.DEVICE_CONTROL);
    assertHex(0, s.layout().triggerMask(devctl >>> 2), "no trigger");
    s.write(devctl, 2, 0x8000);
    assertHex(0, s.read(devctl, 2), "bit 15 stays 0");
    assertHex(0, s.read(at(PciExpress.DEVICE_CAPABILITIES), 4) & PciExpress.DEVCAP_FLR,
        "DevCap FLR");
  }

  @Test
  void deviceStatusErrorsClearOnOneOnly() {
    ConfigSpace s = express(PciExpressCapability.builder(PortType.ENDPOINT));
    int devsta = at(PciExpress.DEVICE_STATUS);
    assertHex(0x000F, afterWritingZeroToSetBits(s, devsta, 2, 0x000F), "kept after writing 0");
    s.write(devsta, 2, 0x0005);
    assertHex(0x000A, s.read(devsta, 2), "CED and FED cleared, the others kept");
    s.hardwareUpdate(devsta, 2, 0, PciExpress.DEVSTA_TRPND);
    s.write(devsta, 2, 0xFFFF);
    assertHex(PciExpress.DEVSTA_TRPND, s.read(devsta, 2), "TP is hardware state");
  }

  @Test
  void deviceControlWritesReportOldAndNew() {
    ConfigSpace s = express(PciExpressCapability.builder(PortType.ENDPOINT));
    Probe.Recorder r = record(s);
    int devctl = at(PciExpress.DEVICE_CONTROL);
    s.write(devctl, 2, 0x5020 | 0x8000);
    Probe.Call c = r.only();
    assertHex(0x2810, c.oldValue(), "old");
    assertHex(0x5020, c.newValue(), "new: MPS 256, MRRS 2048, bit 15 not stored");
    assertHex(0xD020, c.written(), "written");
  }

  @Test
  void rcIntegratedEndpointHasNoLink() {
    PciExpressCapability cap = PciExpressCapability.builder(PortType.RC_INTEGRATED_ENDPOINT)
        .flr(true).build();
    ConfigSpace s = space(cap);
    assertHex(0x10008021, s.read(at(PciExpress.DEVICE_CAPABILITIES), 4),
        "DevCap: no acceptable latencies on an RCiEP");
    for (int reg : new int[] {PciExpress.LINK_CAPABILITIES, PciExpress.LINK_CONTROL,
        PciExpress.LINK_CAPABILITIES_2, PciExpress.LINK_CONTROL_2}) {
      assertHex(0, s.read(at(reg), 4), "link register +0x" + Integer.toHexString(reg));
      assertHex(0, rwBits(s, at(reg), 4), "link register +0x" + Integer.toHexString(reg)
          + " writable bits");
    }
    assertTrue(s.layout().offsetOf(Register.LINK_CONTROL).isEmpty());
    assertThrows(IllegalStateException.class,
        () -> PciExpressCapability.builder(PortType.RC_INTEGRATED_ENDPOINT).link(1, 1));
  }

  @Test
  void pcieToPciBridgeHasBridgeConfigurationRetryEnable() {
    ConfigSpace s = express(PciExpressCapability.builder(PortType.PCIE_TO_PCI_BRIDGE));
    int devctl = at(PciExpress.DEVICE_CONTROL);
    s.write(devctl, 2, 0x8000);
    assertHex(0x8000, s.read(devctl, 2), "BCRE stores");
    assertHex(0, s.layout().triggerMask(devctl >>> 2), "BCRE is not a trigger");
    assertThrows(IllegalStateException.class,
        () -> PciExpressCapability.builder(PortType.PCIE_TO_PCI_BRIDGE).flr(true));
  }

  @Test
  void upstreamPortWithClockPowerManagement() {
    ConfigSpace s = express(PciExpressCapability.builder(PortType.UPSTREAM_PORT)
        .clockPowerManagement(true).link(PciExpress.LINK_SPEED_16GT, 16));
    assertHex(0x00440104, s.read(at(PciExpress.LINK_CAPABILITIES), 4), "LnkCap: ClockPM");
    assertHex(0x03C3, rwBits(s, at(PciExpress.LINK_CONTROL), 2), "LnkCtl writable bits");
    assertHex(0, s.layout().triggerMask(at(PciExpress.LINK_CONTROL) >>> 2),
        "no Retrain Link upstream");
  }

  // ---- links of downstream-facing ports ----

  @Test
  void retrainLinkIsATriggerAndLinkDisableStores() {
    ConfigSpace s = express(PciExpressCapability.builder(PortType.ROOT_PORT));
    int lnkctl = at(PciExpress.LINK_CONTROL);
    assertHex(0x0020, s.layout().triggerMask(lnkctl >>> 2) & 0xFFFF, "trigger mask");
    Probe.Recorder r = record(s);
    s.write(lnkctl, 2, PciExpress.LNKCTL_RETRAIN | PciExpress.LNKCTL_LINK_DISABLE);
    assertHex(0x0010, s.read(lnkctl, 2), "Link Disable stored, Retrain reads 0");
    Probe.Call c = r.only();
    assertEquals(new HookedRegister(Register.LINK_CONTROL, lnkctl, 2), c.register());
    assertHex(0, c.oldValue(), "old");
    assertHex(0x0010, c.newValue(), "new");
    assertHex(0x0030, c.written(), "written");
  }

  @Test
  void linkStatusIsHardwareStateWithBandwidthEventsRw1c() {
    ConfigSpace s = express(PciExpressCapability.builder(PortType.DOWNSTREAM_PORT)
        .link(PciExpress.LINK_SPEED_5GT, 8));
    int lnksta = at(PciExpress.LINK_STATUS);
    assertHex(0x1082, s.read(lnksta, 2), "LnkSta reset: 5 GT/s x8, SlotClk, link not active");
    s.hardwareUpdate(lnksta, 2, 0, PciExpress.LNKSTA_DLL_LINK_ACTIVE | PciExpress.LNKSTA_LBMS
        | PciExpress.LNKSTA_LABS);
    s.write(lnksta, 2, 0);
    assertHex(0xF082, s.read(lnksta, 2), "nothing clears on 0");
    s.write(lnksta, 2, 0xFFFF);
    assertHex(0x3082, s.read(lnksta, 2), "LBMS and LABS cleared, DLLLA kept");
    assertHex(0, w1cBits(s, at(PciExpress.LINK_STATUS_2), 2), "no equalization below 8 GT/s");
  }

  @Test
  void targetLinkSpeedIsSticky() {
    ConfigSpace s = express(PciExpressCapability.builder(PortType.ROOT_PORT)
        .link(PciExpress.LINK_SPEED_32GT, 4));
    int lnkctl2 = at(PciExpress.LINK_CONTROL_2);
    assertHex(0x0005, s.read(lnkctl2, 2), "target speed resets to 32 GT/s");
    assertHex(0xFFBF, stickyBits(s, lnkctl2, 2), "LnkCtl2 sticky bits");
    assertHex(0x0020, stickyBits(s, at(PciExpress.LINK_STATUS_2), 2), "LnkSta2 sticky bits");
    s.write(lnkctl2, 2, 0x0002);
    s.reset(true);
    assertHex(0x0002, s.read(lnkctl2, 2), "kept across a warm reset");
    s.reset(false);
    assertHex(0x0005, s.read(lnkctl2, 2), "cold reset");
    assertHex(0x0000003E, s.read(at(PciExpress.LINK_CAPABILITIES_2), 4), "LnkCap2 speeds");
  }

  @Test
  void dllActiveReportingCanBeTurnedOffOnlyWhereItApplies() {
    ConfigSpace s = express(PciExpressCapability.builder(PortType.DOWNSTREAM_PORT)
        .dllActiveReporting(false));
    assertHex(0x00600011, s.read(at(PciExpress.LINK_CAPABILITIES), 4), "LnkCap without DLLLA");
    assertThrows(IllegalStateException.class,
        () -> PciExpressCapability.builder(PortType.UPSTREAM_PORT).dllActiveReporting(true));
    PciExpressCapability.builder(PortType.ENDPOINT).dllActiveReporting(false).build();
  }

  // ---- slots ----

  @Test
  void pciehpSlotOnARootPort() {
    ConfigSpace s = express(PciExpressCapability.builder(PortType.ROOT_PORT)
        .slot(SlotCapabilities.pciehp().withPhysicalSlot(5)).rrsSoftwareVisibility(true)
        .ariForwarding(true).link(PciExpress.LINK_SPEED_16GT, 16));
    assertHex(0x0142, s.read(at(PciExpress.CAPABILITIES), 2), "Capabilities: slot implemented");
    assertHex(0x00008021, s.read(at(PciExpress.DEVICE_CAPABILITIES), 4), "DevCap");
    assertHex(0x00700104, s.read(at(PciExpress.LINK_CAPABILITIES), 4), "LnkCap");
    assertHex(0x0028005F, s.read(at(PciExpress.SLOT_CAPABILITIES), 4), "SltCap");
    assertHex(0, rwBits(s, at(PciExpress.SLOT_CAPABILITIES), 4), "SltCap writable bits");
    int sltctl = at(PciExpress.SLOT_CONTROL);
    // indicators off (11b), PCC 1: power off
    assertHex(0x07C0, s.read(sltctl, 2), "SltCtl reset value");
    assertHex(0x17FF, rwBits(s, sltctl, 2), "SltCtl writable bits");
    int sltsta = at(PciExpress.SLOT_STATUS);
    assertHex(0, s.read(sltsta, 2), "SltSta reset: empty, MRL closed");
    assertHex(0x011F, w1cBits(s, sltsta, 2), "SltSta RW1C bits");
    assertHex(0, rwBits(s, sltsta, 2), "SltSta writable bits");
    assertHex(0x011F, afterWritingZeroToSetBits(s, sltsta, 2, 0x011F), "kept after writing 0");
    s.hardwareUpdate(sltsta, 2, -1, PciExpress.SLTSTA_MRLSS | PciExpress.SLTSTA_PDS
        | PciExpress.SLTSTA_EIS);
    s.write(sltsta, 2, 0xFFFF);
    assertHex(0x00E0, s.read(sltsta, 2), "MRLSS, PDS and EIS are hardware state");
    assertHex(0x1F, rwBits(s, at(PciExpress.ROOT_CONTROL), 2), "RootCtl with RRS SVE");
    assertHex(0x0001, s.read(at(PciExpress.ROOT_CAPABILITIES), 2), "RootCap: RRS SV");
    assertHex(0x00000033, s.read(at(PciExpress.DEVICE_CAPABILITIES_2), 4), "DevCap2: ARI fwd");
    assertHex(0x3F, rwBits(s, at(PciExpress.DEVICE_CONTROL_2), 2), "DevCtl2 writable bits");
    assertEquals(Set.of(Register.DEVICE_CONTROL, Register.LINK_CONTROL, Register.SLOT_CONTROL,
        Register.SLOT_STATUS, Register.ROOT_CONTROL), hooked(s));
  }

  @Test
  void slotWithoutPowerControllerHasPowerOnAndPccReadOnly() {
    ConfigSpace s = express(PciExpressCapability.builder(PortType.DOWNSTREAM_PORT)
        .slot(SlotCapabilities.surpriseOnly()));
    assertHex(0x00040060, s.read(at(PciExpress.SLOT_CAPABILITIES), 4), "SltCap");
    int sltctl = at(PciExpress.SLOT_CONTROL);
    assertHex(0, s.read(sltctl, 2), "SltCtl reset: PCC 0 (power on), no indicators");
    // PDCE, HPIE, DLLSCE; no CCIE without command completion, no PCC/PFDE/AIC/PIC/ABPE/MRLSCE
    assertHex(0x1028, rwBits(s, sltctl, 2), "SltCtl writable bits");
    s.write(sltctl, 2, PciExpress.SLTCTL_PCC);
    assertHex(0, s.read(sltctl, 2), "PCC is read-only");
  }

  @Test
  void slotFeaturesEachUnlockTheirControl() {
    record Case(SlotCapabilities slot, int rw, int reset) {}
    SlotCapabilities.Builder none = SlotCapabilities.builder();
    List<Case> cases = List.of(
        new Case(SlotCapabilities.fixed(), 0, 0),
        new Case(SlotCapabilities.builder().attentionButton(true).build(), 0x0001, 0),
        new Case(SlotCapabilities.builder().powerController(true).build(), 0x0402, 0x0400),
        new Case(SlotCapabilities.builder().mrlSensor(true).build(), 0x0004, 0),
        new Case(SlotCapabilities.builder().attentionIndicator(true).build(), 0x00C0, 0x00C0),
        new Case(SlotCapabilities.builder().powerIndicator(true).build(), 0x0300, 0x0300),
        new Case(SlotCapabilities.builder().hotPlugCapable(true).build(), 0x1038, 0),
        new Case(SlotCapabilities.builder().hotPlugCapable(true).noCommandCompleted(true)
            .build(), 0x1028, 0),
        new Case(SlotCapabilities.builder().electromechanicalInterlock(true).build(), 0, 0),
        new Case(none.build(), 0, 0));
    for (Case c : cases) {
      ConfigSpace s = express(PciExpressCapability.builder(PortType.ROOT_PORT).slot(c.slot()));
      int sltctl = at(PciExpress.SLOT_CONTROL);
      assertHex(c.rw(), rwBits(s, sltctl, 2), "SltCtl writable bits for " + c.slot());
      assertHex(c.reset(), s.read(sltctl, 2), "SltCtl reset for " + c.slot());
    }
  }

  @Test
  void hotPlugPortWithoutDllActiveReportingHasNoDllsce() {
    ConfigSpace s = express(PciExpressCapability.builder(PortType.DOWNSTREAM_PORT)
        .slot(SlotCapabilities.pciehp()).dllActiveReporting(false));
    assertHex(0x07FF, rwBits(s, at(PciExpress.SLOT_CONTROL), 2), "SltCtl writable bits");
  }

  @Test
  void electromechanicalInterlockControlIsATrigger() {
    ConfigSpace s = express(PciExpressCapability.builder(PortType.ROOT_PORT).slot(
        SlotCapabilities.builder().hotPlugCapable(true).powerController(true)
            .electromechanicalInterlock(true).build()));
    int sltctl = at(PciExpress.SLOT_CONTROL);
    assertHex(0x0800, s.layout().triggerMask(sltctl >>> 2) & 0xFFFF, "trigger mask");
    Probe.Recorder r = record(s);
    s.write(sltctl, 2, 0x0400 | PciExpress.SLTCTL_EIC);
    assertHex(0x0400, s.read(sltctl, 2), "EIC reads 0");
    Probe.Call c = r.only();
    assertEquals(Register.SLOT_CONTROL, c.register().register());
    assertHex(0x0C00, c.written(), "written carries EIC");
  }

  @Test
  void slotControlAndStatusWritesReachTheListener() {
    ConfigSpace s = express(PciExpressCapability.builder(PortType.ROOT_PORT)
        .slot(SlotCapabilities.pciehp()));
    int sltctl = at(PciExpress.SLOT_CONTROL);
    int sltsta = at(PciExpress.SLOT_STATUS);
    Probe.Recorder r = record(s);
    // power on, power indicator on, hot-plug interrupts on
    s.write(sltctl, 2, 0x01E8);
    Probe.Call c = r.only();
    assertEquals(new HookedRegister(Register.SLOT_CONTROL, sltctl, 2), c.register());
    assertHex(0x07C0, c.oldValue(), "old");
    assertHex(0x01E8, c.newValue(), "new");
    r.calls.clear();
    s.write(sltctl, 2, 0x01E8);
    assertEquals(1, r.calls.size(), "an unchanged write is still a command");
    r.calls.clear();

    s.hardwareUpdate(sltsta, 2, 0, PciExpress.SLTSTA_PDC | PciExpress.SLTSTA_PDS);
    s.write(sltsta, 2, PciExpress.SLTSTA_PDC);
    c = r.only();
    assertEquals(new HookedRegister(Register.SLOT_STATUS, sltsta, 2), c.register());
    assertHex(0x0048, c.oldValue(), "old");
    assertHex(0x0040, c.newValue(), "new");
    assertHex(0x0008, c.written(), "written");
    r.calls.clear();

    s.write(sltctl, 4, 0x0010_01E8);
    assertEquals(List.of(Register.SLOT_CONTROL, Register.SLOT_STATUS),
        r.calls.stream().map(x -> x.register().register()).toList(),
        "a dword write reaches both registers");
  }

  @Test
  void rootControlAndStatus() {
    ConfigSpace s = express(PciExpressCapability.builder(PortType.ROOT_PORT));
    int rootctl = at(PciExpress.ROOT_CONTROL);
    Probe.Recorder r = record(s);
    s.write(rootctl, 2, 0xFFFF);
    Probe.Call c = r.only();
    assertEquals(new HookedRegister(Register.ROOT_CONTROL, rootctl, 2), c.register());
    assertHex(0x000F, c.newValue(), "no RRS SVE without the capability");
    int rootsta = at(PciExpress.ROOT_STATUS);
    s.hardwareUpdate(rootsta, 4, 0, 0x00031234);
    s.write(rootsta, 4, 0);
    assertHex(0x00031234, s.read(rootsta, 4), "nothing clears on 0");
    s.write(rootsta, 4, -1);
    assertHex(0x00021234, s.read(rootsta, 4), "PME Status clears; requester and pending kept");
  }

  // ---- refused options ----

  @Test
  void refusesOptionsThatDoNotApply() {
    assertThrows(IllegalStateException.class,
        () -> PciExpressCapability.builder(PortType.ROOT_PORT).flr(true));
    assertThrows(IllegalStateException.class,
        () -> PciExpressCapability.builder(PortType.ENDPOINT).slot(SlotCapabilities.pciehp()));
    assertThrows(IllegalStateException.class,
        () -> PciExpressCapability.builder(PortType.UPSTREAM_PORT)
            .slot(SlotCapabilities.fixed()));
    assertThrows(IllegalStateException.class,
        () -> PciExpressCapability.builder(PortType.DOWNSTREAM_PORT).rrsSoftwareVisibility(true));
    assertThrows(IllegalStateException.class,
        () -> PciExpressCapability.builder(PortType.ENDPOINT).ariForwarding(true));
    assertThrows(IllegalStateException.class,
        () -> PciExpressCapability.builder(PortType.ROOT_PORT).clockPowerManagement(true));
    assertThrows(IllegalStateException.class,
        () -> PciExpressCapability.builder(PortType.RC_EVENT_COLLECTOR).link(1, 1));
    assertThrows(IllegalArgumentException.class,
        () -> PciExpressCapability.builder(PortType.ENDPOINT).maxPayload(100));
    assertThrows(IllegalArgumentException.class,
        () -> PciExpressCapability.builder(PortType.ENDPOINT).maxPayload(8192));
    assertThrows(IllegalArgumentException.class,
        () -> PciExpressCapability.builder(PortType.ENDPOINT).link(6, 1));
    assertThrows(IllegalArgumentException.class,
        () -> PciExpressCapability.builder(PortType.ENDPOINT).link(0, 1));
    assertThrows(IllegalArgumentException.class,
        () -> PciExpressCapability.builder(PortType.ENDPOINT).link(1, 3));
    assertThrows(IllegalArgumentException.class, () -> PciExpressCapability.builder(null));
  }

  @Test
  void maxPayloadEncodings() {
    int[] bytes = {128, 256, 512, 1024, 2048, 4096};
    for (int i = 0; i < bytes.length; i++) {
      ConfigSpace s = express(PciExpressCapability.builder(PortType.UPSTREAM_PORT)
          .maxPayload(bytes[i]));
      assertHex(i, s.read(at(PciExpress.DEVICE_CAPABILITIES), 4) & 0x7, bytes[i] + " bytes");
    }
  }
}
