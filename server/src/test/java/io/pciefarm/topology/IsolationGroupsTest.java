package io.pciefarm.topology;

import static io.pciefarm.topology.Specs.build;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.ExtendedCapabilities;
import java.util.List;
import org.junit.jupiter.api.Test;

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
