package io.pciefarm.topology;

import static io.pciefarm.topology.Specs.build;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.ownership.Assignability;
import io.pciefarm.ownership.Assignability.Reason;
import io.pciefarm.reset.ResetMethod;
import io.pciefarm.reset.ResetSupport;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;

class AssignabilityTest {

  private static List<Reason> reasons(Hierarchy h, int bus, int dev, int fn) {
    return Assignability.of(h.lookup(bus, dev << 3 | fn)).reasons().stream()
        .map(Assignability.Problem::reason).toList();
  }

  @Test
  void isolatedEndpointWithFlrIsAssignable() {
    Hierarchy h = build("""
        {"name":"h","devices":[{"device":1,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd"}]}]}""");
    assertTrue(Assignability.of(h.lookup(1, 0)).assignable());
    assertEquals(List.of(Reason.BRIDGE), reasons(h, 0, 1, 0));
  }

  @Test
  void subPageBar() {
    Hierarchy h = build("""
        {"name":"h","devices":[{"device":1,"model":"root-port-acs","children":[{"device":0,"model":"sata-ahci-subpage-bar"}]}]}""");
    Assignability a = Assignability.of(h.lookup(1, 0));
    assertEquals(List.of(Reason.SUB_PAGE_BAR), reasons(h, 1, 0, 0));
    assertTrue(a.reasons().get(0).detail().contains("BAR5 is 512 bytes"), a.toString());
  }

  @Test
  void hostDeviceAndItsGroupMates() {
    Hierarchy h = build("""
        {"name":"h","devices":[{"device":1,"model":"root-port","children":[
          {"device":0,"model":"switch-upstream-port","children":[
            {"device":0,"model":"switch-downstream-port","children":[{"device":0,"model":"nvme-ssd","host":true}]},
            {"device":1,"model":"switch-downstream-port","children":[{"device":0,"model":"nic-flr-hang"}]}]}]}]}""");
    assertEquals(List.of(Reason.HOST_DEVICE), reasons(h, 3, 0, 0));
    List<Reason> nic = reasons(h, 4, 0, 0);
    assertEquals(List.of(Reason.GROUP_SHARED_WITH_HOST), nic);
    assertTrue(Assignability.of(h.lookup(4, 0)).reasons().get(0).detail().contains("0000:03:00.0"));
  }

  @Test
  void noResetMethodBehindAConventionalBridge() {
    Hierarchy h = build("""
        {"name":"h","devices":[{"device":1,"model":"root-port-acs","children":[
          {"device":0,"model":"pcie-to-pci-bridge","children":[
            {"device":1,"model":"pci-es1371"},{"device":2,"model":"pci-e1000"}]}]}]}""");
    // The sound card has no FLR or PM, and a bus reset would hit the NIC beside it too.
    assertEquals(List.of(Reason.NO_RESET_METHOD), reasons(h, 2, 1, 0));
    assertEquals(EnumSet.of(ResetMethod.PM), ResetSupport.supported(h.lookup(2, 2 << 3)));
  }

  @Test
  void aloneOnItsBusABusResetIsAvailable() {
    Hierarchy h = build("""
        {"name":"h","devices":[
          {"device":1,"model":"root-port-acs","children":[{"device":0,"model":"usb3-bus-reset-only"}]},
          {"device":2,"model":"root-port-hotplug-acs","children":[{"device":0,"model":"usb3-bus-reset-only"}]},
          {"device":3,"model":"root-port-acs","children":[{"device":0,"model":"gpu"}]},
          {"device":4,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd"}]}]}""");
    assertEquals(EnumSet.of(ResetMethod.BUS), ResetSupport.supported(h.lookup(1, 0)));
    assertEquals(EnumSet.of(ResetMethod.SLOT), ResetSupport.supported(h.lookup(2, 0)));
    // A multi-function GPU: its PM reset is advertised (and does nothing), no bus reset per function.
    assertEquals(EnumSet.of(ResetMethod.PM), ResetSupport.supported(h.lookup(3, 0)));
    assertEquals(EnumSet.of(ResetMethod.DEVICE_SPECIFIC, ResetMethod.FLR, ResetMethod.BUS),
        ResetSupport.supported(h.lookup(4, 0)));
  }
}
