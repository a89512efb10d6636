package io.pciefarm.topology;

import static io.pciefarm.topology.Specs.build;
import static io.pciefarm.topology.Specs.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.farm.FarmException;
import io.pciefarm.proto.v1.DeviceSpec;
import io.pciefarm.proto.v1.HierarchySpec;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.topology.TopologyException.Kind;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HierarchyBuilderTest {

  private static TopologyException fails(String json) {
    return assertThrows(TopologyException.class, () -> build(json));
  }

  @Test
  void unknownModelNamesThePlaceAndTheCatalog() {
    TopologyException e = fails("""
        {"name":"h","devices":[{"device":1,"model":"root-port","children":[
          {"device":0,"model":"warp-drive"}]}]}""");
    assertEquals(Kind.UNKNOWN_MODEL, e.kind());
    assertEquals("devices[0].children[0] (device 0, model 'warp-drive')", e.place());
    assertTrue(e.getMessage().contains("nvme-ssd"), e.getMessage());
  }

  @Test
  void duplicateDeviceNumberOnOneBus() {
    TopologyException e = fails("""
        {"name":"h","devices":[{"device":1,"model":"root-port"},{"device":1,"model":"root-port-acs"}]}""");
    assertEquals(Kind.DUPLICATE_ADDRESS, e.kind());
    assertEquals("devices[1] (device 1, model 'root-port-acs')", e.place());
  }

  @Test
  void functionZeroMustBePresent() {
    TopologyException e = fails("""
        {"name":"h","devices":[{"device":1,"model":"root-port","children":[
          {"device":0,"model":"gpu","functions":[1]}]}]}""");
    assertEquals(Kind.FUNCTION_ZERO_MISSING, e.kind());
    assertEquals("devices[0].children[0] (device 0, model 'gpu')", e.place());
  }

  @Test
  void functionsSubsetHidesFunctions() {
    Hierarchy h = build("""
        {"name":"h","devices":[{"device":1,"model":"root-port","children":[
          {"device":0,"model":"gpu","functions":[0]}]}]}""");
    assertEquals(0x10de, h.read(1, 0, 0, 0, 2));
    assertEquals(0xFFFF, h.read(1, 0, 1, 0, 2));
    // Header Type still says multi-function: firmware hid the function, the silicon has it.
    assertEquals(0x80, h.read(1, 0, 0, Header.HEADER_TYPE, 1) & 0x80);
  }

  @Test
  void functionListedTwiceIsADuplicateAddress() {
    TopologyException e = fails("""
        {"name":"h","devices":[{"device":1,"model":"root-port","children":[
          {"device":0,"model":"gpu","functions":[0,1,0]}]}]}""");
    assertEquals(Kind.DUPLICATE_ADDRESS, e.kind());
    assertEquals("devices[0].children[0] (device 0, model 'gpu')", e.place());
    assertTrue(e.getMessage().contains("function 0 is listed twice"), e.getMessage());
  }

  @Test
  void unknownFunctionInSubset() {
    TopologyException e = fails("""
        {"name":"h","devices":[{"device":1,"model":"root-port","children":[
          {"device":0,"model":"nvme-ssd","functions":[0,3]}]}]}""");
    assertEquals(Kind.BAD_VALUE, e.kind());
    assertTrue(e.getMessage().contains("no function 3"), e.getMessage());
  }

  @Test
  void busNumbersExhausted() {
    HierarchySpec.Builder b = HierarchySpec.newBuilder().setName("big");
    // 32 root ports, each with a switch of 8 downstream ports: 32 * 10 + 1 buses > 256.
    for (int rp = 0; rp < 32; rp++) {
      DeviceSpec.Builder sw = DeviceSpec.newBuilder().setDevice(0).setModel("switch-upstream-port");
      for (int d = 0; d < 8; d++) {
        sw.addChildren(DeviceSpec.newBuilder().setDevice(d).setModel("switch-downstream-port"));
      }
      b.addDevices(DeviceSpec.newBuilder().setDevice(rp).setModel("root-port-acs").addChildren(sw));
    }
    TopologyException e = assertThrows(TopologyException.class,
        () -> HierarchyBuilder.build(b.build()));
    assertEquals(Kind.BUS_NUMBERS_EXHAUSTED, e.kind());
    assertTrue(e.place().startsWith("devices[25]"), e.place());
    assertTrue(e.getMessage().contains("bus number 256"), e.getMessage());
  }

  @Test
  void endpointCannotHoldDevices() {
    TopologyException e = fails("""
        {"name":"h","devices":[{"device":1,"model":"root-port","children":[
          {"device":0,"model":"nvme-ssd","children":[{"device":0,"model":"nvme-ssd"}]}]}]}""");
    assertEquals(Kind.CANNOT_HOLD, e.kind());
    assertTrue(e.getMessage().contains("not a bridge"), e.getMessage());
  }

  @Test
  void rootBusHoldsOnlyRootPortsIntegratedAndConventional() {
    TopologyException e = fails("""
        {"name":"h","devices":[{"device":1,"model":"nvme-ssd"}]}""");
    assertEquals(Kind.CANNOT_HOLD, e.kind());
    assertEquals("devices[0] (device 1, model 'nvme-ssd')", e.place());
    build("""
        {"name":"h","devices":[{"device":1,"model":"qat-rciep"},{"device":2,"model":"pci-e1000"}]}""");
  }

  @Test
  void linkHoldsOnlyDeviceZero() {
    TopologyException e = fails("""
        {"name":"h","devices":[{"device":1,"model":"root-port","children":[
          {"device":1,"model":"nvme-ssd"}]}]}""");
    assertEquals(Kind.CANNOT_HOLD, e.kind());
    assertTrue(e.getMessage().contains("only device 0"), e.getMessage());
  }

  @Test
  void linkCannotHoldPortsOrConventionalDevices() {
    assertEquals(Kind.CANNOT_HOLD, fails("""
        {"name":"h","devices":[{"device":1,"model":"root-port","children":[
          {"device":0,"model":"root-port"}]}]}""").kind());
    assertEquals(Kind.CANNOT_HOLD, fails("""
        {"name":"h","devices":[{"device":1,"model":"root-port","children":[
          {"device":0,"model":"switch-downstream-port"}]}]}""").kind());
    assertEquals(Kind.CANNOT_HOLD, fails("""
        {"name":"h","devices":[{"device":1,"model":"root-port","children":[
          {"device":0,"model":"pci-e1000"}]}]}""").kind());
  }

  @Test
  void switchInternalBusHoldsOnlyDownstreamPorts() {
    TopologyException e = fails("""
        {"name":"h","devices":[{"device":1,"model":"root-port","children":[
          {"device":0,"model":"switch-upstream-port","children":[{"device":0,"model":"nvme-ssd"}]}]}]}""");
    assertEquals(Kind.CANNOT_HOLD, e.kind());
    assertEquals("devices[0].children[0].children[0] (device 0, model 'nvme-ssd')", e.place());
  }

  @Test
  void conventionalBusHoldsOnlyConventionalDevices() {
    TopologyException e = fails("""
        {"name":"h","devices":[{"device":1,"model":"root-port","children":[
          {"device":0,"model":"pcie-to-pci-bridge","children":[{"device":4,"model":"nvme-ssd"}]}]}]}""");
    assertEquals(Kind.CANNOT_HOLD, e.kind());
    assertTrue(e.getMessage().contains("conventional PCI bus"), e.getMessage());
  }

  @Test
  void slotNumbersValidatedAndStrapped() {
    assertEquals(Kind.BAD_SLOT, fails("""
        {"name":"h","devices":[{"device":1,"model":"root-port","slot":3}]}""").kind());
    assertEquals(Kind.BAD_SLOT, fails("""
        {"name":"h","devices":[{"device":1,"model":"root-port-hotplug","slot":9000}]}""").kind());
    TopologyException dup = fails("""
        {"name":"h","devices":[{"device":1,"model":"root-port-hotplug","slot":5},
          {"device":2,"model":"root-port-hotplug","slot":5}]}""");
    assertEquals(Kind.BAD_SLOT, dup.kind());
    assertEquals("devices[1] (device 2, model 'root-port-hotplug')", dup.place());

    Hierarchy h = build("""
        {"name":"h","devices":[{"device":1,"model":"root-port-hotplug"},
          {"device":2,"model":"root-port-hotplug","slot":1},{"device":3,"model":"root-port-hotplug"}]}""");
    assertEquals(2, slotNumber(h, 1));
    assertEquals(1, slotNumber(h, 2));
    assertEquals(3, slotNumber(h, 3));
  }

  private static int slotNumber(Hierarchy h, int device) {
    PciFunction f = h.lookup(0, device << 3);
    int exp = f.model().layout().capability(CapabilityId.EXP);
    return h.read(0, device, 0, exp + PciExpress.SLOT_CAPABILITIES, 4)
        >>> PciExpress.SLTCAP_PSN_SHIFT;
  }

  @Test
  void slotStrapSurvivesReset() {
    Hierarchy h = build("""
        {"name":"h","devices":[{"device":1,"model":"root-port-hotplug","slot":42}]}""");
    h.lookup(0, 1 << 3).config().reset(false);
    assertEquals(42, slotNumber(h, 1));
  }

  @Test
  void nameAndSegmentValidated() {
    assertEquals(Kind.BAD_VALUE, fails("""
        {"name":"Bad Name"}""").kind());
    assertEquals(Kind.BAD_VALUE, fails("""
        {"name":"h","segment":65536}""").kind());
    assertEquals(Kind.BAD_VALUE, fails("""
        {"name":"h","devices":[{"device":32,"model":"root-port"}]}""").kind());
  }

  /**
   * Time scale and slot command latency are checked before anything is built: the unknown model
   * further down is never reached.
   */
  @ParameterizedTest
  @ValueSource(strings = {
      "\"timeScale\":-1", "\"timeScale\":\"NaN\"", "\"timeScale\":\"Infinity\"",
      "\"slotCommandMs\":-0.5", "\"slotCommandMs\":\"NaN\"",
      "\"slotCommandMs\":\"-Infinity\"", "\"slotCommandMs\":\"Infinity\""})
  void timingsValidatedBeforeAnythingIsBuilt(String field) {
    TopologyException e = fails("{\"name\":\"h\"," + field
        + ",\"devices\":[{\"device\":1,\"model\":\"warp-drive\"}]}");
    assertEquals(Kind.BAD_VALUE, e.kind());
    String name = field.substring(1, field.indexOf('"', 1));
    assertEquals(name, e.place());
    assertTrue(e.getMessage().contains("must be a finite number >= 0"), e.getMessage());
  }

  @Test
  void validTimingsAreTaken() {
    Hierarchy h = build("""
        {"name":"h","timeScale":0.25,"slotCommandMs":2.5}""");
    assertEquals(0.25, h.timeScale());
    assertEquals(java.time.Duration.ofNanos(2_500_000), h.hotPlug().commandLatency());
  }

  @Test
  void unknownJsonFieldIsAnError() {
    FarmException e = assertThrows(FarmException.class,
        () -> spec("{\"name\":\"h\",\"devises\":[]}"));
    assertEquals(FarmException.Kind.INVALID, e.kind());
    assertTrue(e.getMessage().contains("devises"), e.getMessage());
  }

  @Test
  void occupiedPortsBootWithLinkUpAndPresence() {
    Hierarchy h = build("""
        {"name":"h","devices":[{"device":1,"model":"root-port-hotplug","children":[{"device":0,"model":"nvme-ssd"}]},
          {"device":2,"model":"root-port-hotplug"}]}""");
    PciFunction occupied = h.lookup(0, 1 << 3);
    PciFunction empty = h.lookup(0, 2 << 3);
    int exp = occupied.model().layout().capability(CapabilityId.EXP);
    assertEquals(PciExpress.LNKSTA_DLL_LINK_ACTIVE,
        occupied.config().read(exp + PciExpress.LINK_STATUS, 2) & PciExpress.LNKSTA_DLL_LINK_ACTIVE);
    assertEquals(PciExpress.SLTSTA_PDS,
        occupied.config().read(exp + PciExpress.SLOT_STATUS, 2) & PciExpress.SLTSTA_PDS);
    assertEquals(0, empty.config().read(exp + PciExpress.LINK_STATUS, 2)
        & PciExpress.LNKSTA_DLL_LINK_ACTIVE);
    assertEquals(0, empty.config().read(exp + PciExpress.SLOT_STATUS, 2) & PciExpress.SLTSTA_PDS);
    int on = occupied.config().read(exp + PciExpress.SLOT_CONTROL, 2);
    assertEquals(0, on & PciExpress.SLTCTL_PCC, "occupied slot powered");
    assertEquals(PciExpress.INDICATOR_ON, (on & PciExpress.SLTCTL_PIC_MASK) >> PciExpress.SLTCTL_PIC_SHIFT);
    int off = empty.config().read(exp + PciExpress.SLOT_CONTROL, 2);
    assertEquals(PciExpress.SLTCTL_PCC, off & PciExpress.SLTCTL_PCC, "empty slot stays off");
  }
}
