package io.pciefarm.topology;

import static io.pciefarm.topology.Specs.build;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.ExtendedCapabilities;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.PciExpress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class IsolationGroupsTest {

  private static int group(Hierarchy h, int bus, int dev, int fn) {
    return h.groups().groupOf(h.lookup(bus, dev << 3 | fn));
  }

  private static List<String> mates(Hierarchy h, int bus, int dev, int fn) {
    return h.groups().groupMates(h.lookup(bus, dev << 3 | fn)).stream()
        .map(f -> f.address().toString()).toList();
  }

  @Test
  void portsWithAcsIsolateEachDevice() {
    Hierarchy h = build("""
        {"name":"h","devices":[
          {"device":1,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd"}]},
          {"device":2,"model":"root-port-acs","children":[{"device":0,"model":"nic-flr-hang"}]}]}""");
    assertEquals(List.of("0000:01:00.0"), mates(h, 1, 0, 0));
    assertEquals(List.of("0000:02:00.0"), mates(h, 2, 0, 0));
    assertEquals(List.of("0000:00:01.0"), mates(h, 0, 1, 0));
    assertEquals(4, h.groups().count());
  }

  @Test
  void portWithoutAcsMergesItsSubtreeWithItself() {
    Hierarchy h = build("""
        {"name":"h","devices":[
          {"device":1,"model":"root-port","children":[{"device":0,"model":"nvme-ssd"}]}]}""");
    assertEquals(List.of("0000:00:01.0", "0000:01:00.0"), mates(h, 1, 0, 0));
  }

  @Test
  void conventionalBridgeSubtreeIsOneGroup() {
    Hierarchy h = build("""
        {"name":"h","devices":[{"device":1,"model":"root-port-acs","children":[
          {"device":0,"model":"pcie-to-pci-bridge","children":[
            {"device":1,"model":"pci-e1000"},{"device":2,"model":"pci-es1371"}]}]}]}""");
    assertEquals(List.of("0000:01:00.0", "0000:02:01.0", "0000:02:02.0"), mates(h, 2, 1, 0));
    assertNotEquals(group(h, 0, 1, 0), group(h, 1, 0, 0), "the ACS root port stays apart");
  }

  @Test
  void multiFunctionDeviceWithoutAcsSharesOneGroup() {
    Hierarchy h = build("""
        {"name":"h","devices":[{"device":1,"model":"root-port-acs","children":[{"device":0,"model":"gpu"}]}]}""");
    assertEquals(List.of("0000:01:00.0", "0000:01:00.1"), mates(h, 1, 0, 1));
  }

  @Test
  void switchDownstreamPortsWithAcsSplitTheSwitch() {
    Hierarchy h = build("""
        {"name":"h","devices":[{"device":1,"model":"root-port-acs","children":[
          {"device":0,"model":"switch-upstream-port","children":[
            {"device":0,"model":"switch-downstream-port","children":[{"device":0,"model":"nvme-ssd"}]},
            {"device":1,"model":"switch-downstream-port","children":[{"device":0,"model":"nvme-ssd"}]}]}]}]}""");
    assertEquals(List.of("0000:03:00.0"), mates(h, 3, 0, 0));
    assertEquals(List.of("0000:04:00.0"), mates(h, 4, 0, 0));
  }

  @Test
  void rootPortWithoutAcsAboveASwitchMergesEverythingBelow() {
    Hierarchy h = build("""
        {"name":"h","devices":[{"device":1,"model":"root-port","children":[
          {"device":0,"model":"switch-upstream-port","children":[
            {"device":0,"model":"switch-downstream-port","children":[{"device":0,"model":"nvme-ssd"}]},
            {"device":1,"model":"switch-downstream-port","children":[{"device":0,"model":"nvme-ssd"}]}]}]}]}""");
    assertEquals(6, mates(h, 4, 0, 0).size());
    assertEquals(1, h.groups().count());
  }

  @Test
  void acsControlIsLive() {
    Hierarchy h = build("""
        {"name":"h","devices":[
          {"device":1,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd"}]}]}""");
    PciFunction port = h.lookup(0, 1 << 3);
    int acs = port.model().layout().extendedCapability(CapabilityId.EXT_ACS);
    int control = acs + ExtendedCapabilities.ACS_CONTROL;
    assertEquals(List.of("0000:01:00.0"), mates(h, 1, 0, 0));
    // Clear Request Redirect: the port no longer isolates what is below it.
    int on = port.config().read(control, 2);
    h.write(0, 1, 0, control, 2, on & ~ExtendedCapabilities.ACS_RR);
    assertEquals(List.of("0000:00:01.0", "0000:01:00.0"), mates(h, 1, 0, 0));
    h.write(0, 1, 0, control, 2, on | ExtendedCapabilities.ACS_ISOLATION);
    assertEquals(List.of("0000:01:00.0"), mates(h, 1, 0, 0));
  }

  /** The controls Linux requires (REQ_ACS_FLAGS in drivers/iommu/iommu.c), one at a time. */
  enum Required {
    SV(ExtendedCapabilities.ACS_SV),
    RR(ExtendedCapabilities.ACS_RR),
    CR(ExtendedCapabilities.ACS_CR),
    UF(ExtendedCapabilities.ACS_UF);

    final int bit;

    Required(int bit) {
      this.bit = bit;
    }
  }

  private static int acsControl(PciFunction f) {
    return f.model().layout().extendedCapability(CapabilityId.EXT_ACS)
        + ExtendedCapabilities.ACS_CONTROL;
  }

  /** Writes ACS Control of {@code f} through the hierarchy, as a client's config write does. */
  private static void writeAcs(Hierarchy h, PciFunction f, int value) {
    PciAddress a = f.address();
    h.write(a.bus(), a.device(), a.function(), acsControl(f), 2, value);
  }

  @ParameterizedTest
  @EnumSource(Required.class)
  void eachRequiredControlClearedAloneMergesBelowARootPort(Required control) {
    Hierarchy h = build("""
        {"name":"h","devices":[
          {"device":1,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd"}]}]}""");
    PciFunction port = h.lookup(0, 1 << 3);
    int on = port.config().read(acsControl(port), 2);
    writeAcs(h, port, on & ~control.bit);
    assertEquals(List.of("0000:00:01.0", "0000:01:00.0"), mates(h, 1, 0, 0));
    writeAcs(h, port, on);
    assertEquals(List.of("0000:01:00.0"), mates(h, 1, 0, 0));
  }

  @ParameterizedTest
  @EnumSource(Required.class)
  void eachRequiredControlClearedAloneMergesBelowASwitchDownstreamPort(Required control) {
    Hierarchy h = build("""
        {"name":"h","devices":[{"device":1,"model":"root-port-acs","children":[
          {"device":0,"model":"switch-upstream-port","children":[
            {"device":0,"model":"switch-downstream-port","children":[{"device":0,"model":"nvme-ssd"}]},
            {"device":1,"model":"switch-downstream-port","children":[{"device":0,"model":"nvme-ssd"}]}]}]}]}""");
    PciFunction port = h.lookup(2, 0);
    int on = port.config().read(acsControl(port), 2);
    writeAcs(h, port, on & ~control.bit);
    assertEquals(List.of("0000:02:00.0", "0000:03:00.0"), mates(h, 3, 0, 0));
    assertEquals(List.of("0000:04:00.0"), mates(h, 4, 0, 0), "the other port still isolates");
    writeAcs(h, port, on);
    assertEquals(List.of("0000:03:00.0"), mates(h, 3, 0, 0));
  }

  @Test
  void controlsOutsideTheRequiredOnesDoNotMatter() {
    Hierarchy h = build("""
        {"name":"h","devices":[
          {"device":1,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd"}]}]}""");
    PciFunction port = h.lookup(0, 1 << 3);
    int cap = port.config().read(acsControl(port) - 2, 2);
    assertEquals(ExtendedCapabilities.ACS_TB, cap & ExtendedCapabilities.ACS_TB, "TB implemented");
    writeAcs(h, port, ExtendedCapabilities.ACS_ISOLATION); // Translation Blocking off
    assertEquals(List.of("0000:01:00.0"), mates(h, 1, 0, 0));
    writeAcs(h, port, ExtendedCapabilities.ACS_ISOLATION | ExtendedCapabilities.ACS_TB);
    assertEquals(List.of("0000:01:00.0"), mates(h, 1, 0, 0));
  }

  /**
   * Linux's pci_acs_flags_enabled counts a control the capability does not implement as
   * hard-wired on: a port implementing only SV and RR isolates with just those two enabled, and
   * a port whose ACS capability implements nothing isolates with ACS Control 0.
   */
  @Test
  void controlsAPortDoesNotImplementCountAsEnabled() {
    Hierarchy h = TestModels.build("""
        {"name":"h","devices":[
          {"device":1,"model":"root-port-acs-sv-rr","children":[{"device":0,"model":"nvme-ssd"}]},
          {"device":2,"model":"root-port-acs-nothing","children":[{"device":0,"model":"nvme-ssd"}]}]}""");
    PciFunction partial = h.lookup(0, 1 << 3);
    int sv = ExtendedCapabilities.ACS_SV;
    int rr = ExtendedCapabilities.ACS_RR;
    assertEquals(sv | rr, partial.config().read(acsControl(partial), 2), "firmware enabled both");
    assertEquals(List.of("0000:01:00.0"), mates(h, 1, 0, 0));
    // CR and UF cannot be set: they read 0 and still count as enabled
    writeAcs(h, partial, ExtendedCapabilities.ACS_ISOLATION);
    assertEquals(sv | rr, partial.config().read(acsControl(partial), 2));
    assertEquals(List.of("0000:01:00.0"), mates(h, 1, 0, 0));
    writeAcs(h, partial, sv);
    assertEquals(List.of("0000:00:01.0", "0000:01:00.0"), mates(h, 1, 0, 0));

    PciFunction nothing = h.lookup(0, 2 << 3);
    assertEquals(0, nothing.config().read(acsControl(nothing), 2));
    assertEquals(List.of("0000:02:00.0"), mates(h, 2, 0, 0));
  }

  /**
   * Functions of a multi-function device that implement ACS are isolated from each other
   * (get_pci_function_alias_group skips ACS-enabled functions); a function whose ACS is off
   * shares a group only with siblings whose ACS is off too.
   */
  @Test
  void multiFunctionDeviceWithAcsGivesEachFunctionItsGroup() {
    Hierarchy h = TestModels.build("""
        {"name":"h","devices":[
          {"device":1,"model":"root-port-acs","children":[{"device":0,"model":"mf-endpoint-acs"}]}]}""");
    PciFunction f0 = h.lookup(1, 0);
    PciFunction f1 = h.lookup(1, 1);
    assertEquals(Header.HEADER_TYPE_MULTI_FUNCTION,
        f0.config().read(Header.HEADER_TYPE, 1) & Header.HEADER_TYPE_MULTI_FUNCTION);
    assertEquals(List.of("0000:01:00.0"), mates(h, 1, 0, 0));
    assertEquals(List.of("0000:01:00.1"), mates(h, 1, 0, 1));
    int on = f1.config().read(acsControl(f1), 2);
    assertEquals(ExtendedCapabilities.ACS_RR | ExtendedCapabilities.ACS_CR, on);

    // One function without ACS: it cannot reach an isolated sibling, so both stay apart.
    writeAcs(h, f1, on & ~ExtendedCapabilities.ACS_CR);
    assertEquals(List.of("0000:01:00.0"), mates(h, 1, 0, 0));
    assertEquals(List.of("0000:01:00.1"), mates(h, 1, 0, 1));
    // Both without: they share a group.
    writeAcs(h, f0, on & ~ExtendedCapabilities.ACS_RR);
    assertEquals(List.of("0000:01:00.0", "0000:01:00.1"), mates(h, 1, 0, 1));
    writeAcs(h, f0, on);
    writeAcs(h, f1, on);
    assertEquals(List.of("0000:01:00.1"), mates(h, 1, 0, 1));
  }

  /**
   * An FLR returns ACS Control to its default (off on these functions) and regroups at once;
   * the regroup is not left to some later change.
   */
  @Test
  void anFlrThatClearsAcsControlRegroups() {
    Hierarchy h = TestModels.build("""
        {"name":"h","devices":[
          {"device":1,"model":"root-port-acs","children":[{"device":0,"model":"mf-endpoint-acs"}]}]}""");
    assertEquals(List.of("0000:01:00.1"), mates(h, 1, 0, 1));
    h.groups(); // computed and cached: only a reported change may recompute them
    for (int fn = 0; fn < 2; fn++) {
      PciFunction f = h.lookup(1, fn);
      int exp = f.model().layout().capability(CapabilityId.EXP);
      h.write(1, 0, fn, exp + PciExpress.DEVICE_CONTROL, 2, PciExpress.DEVCTL_BCR_FLR);
      assertEquals(0, f.config().read(acsControl(f), 2), "ACS Control reset by the FLR");
    }
    assertEquals(List.of("0000:01:00.0", "0000:01:00.1"), mates(h, 1, 0, 1));
  }

  @Test
  void onlyTheFunctionsWithoutAcsShareAGroup() {
    Hierarchy h = TestModels.build("""
        {"name":"h","devices":[
          {"device":1,"model":"root-port-acs","children":[{"device":0,"model":"mf-endpoint-acs-on-zero"}]}]}""");
    assertEquals(List.of("0000:01:00.0"), mates(h, 1, 0, 0));
    assertEquals(List.of("0000:01:00.1", "0000:01:00.2"), mates(h, 1, 0, 2));
  }

  /** A port without ACS above still merges the ACS-isolated functions with itself. */
  @Test
  void aPortWithoutAcsAboveMergesAMultiFunctionDeviceWithAcs() {
    Hierarchy h = TestModels.build("""
        {"name":"h","devices":[
          {"device":1,"model":"root-port","children":[{"device":0,"model":"mf-endpoint-acs"}]}]}""");
    assertEquals(List.of("0000:00:01.0", "0000:01:00.0", "0000:01:00.1"), mates(h, 1, 0, 1));
  }

  /** A bus reset clears ACS Control below the bridge: the groups must follow. */
  @Test
  void aBusResetThatClearsAcsRegroups() {
    Hierarchy h = HierarchyBuilder.build(io.pciefarm.farm.TopologyFiles.parse("""
        {"name":"h","timeScale":0,"devices":[{"device":1,"model":"root-port-acs","children":[
          {"device":0,"model":"switch-upstream-port","children":[
            {"device":0,"model":"switch-downstream-port","children":[{"device":0,"model":"nvme-ssd"}]},
            {"device":1,"model":"switch-downstream-port","children":[{"device":0,"model":"nvme-ssd"}]}]}]}]}""",
        "h"));
    PciFunction nvme = h.lookup(3, 0);
    assertEquals(1, h.groups().groupMates(nvme).size(), "isolated while ACS is on");
    h.write(1, 0, 0, io.pciefarm.spec.Type1.BRIDGE_CONTROL, 2,
        io.pciefarm.spec.Type1.BRIDGE_CTL_BUS_RESET);
    h.write(1, 0, 0, io.pciefarm.spec.Type1.BRIDGE_CONTROL, 2, 0);
    // The downstream ports' ACS Control reset to 0: each drive now shares its port's group.
    assertEquals(java.util.List.of(nvme.upstreamBridge(), nvme), h.groups().groupMates(nvme));
  }
}
