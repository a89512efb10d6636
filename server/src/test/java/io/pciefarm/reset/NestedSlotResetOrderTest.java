package io.pciefarm.reset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.pciefarm.spec.Type1;
import io.pciefarm.topology.PciFunction;
import io.pciefarm.topology.TopologyObserver;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A reset reaching a slot port below the reset bridge powers that slot off too; the change is
 * the bridge's, so it is reported with the bridge as cause before anything the nested slot's
 * power-off reports.
 */
class NestedSlotResetOrderTest {
  private static final String BOX = """
      {"name":"box","devices":[
        {"device":1,"model":"root-port-acs","children":[
          {"device":0,"model":"switch-upstream-port","children":[
            {"device":0,"model":"switch-downstream-port-hotplug","slot":4,
              "children":[{"device":0,"model":"nvme-ssd"}]},
            {"device":1,"model":"switch-downstream-port",
              "children":[{"device":0,"model":"nvme-ssd"}]}]}]}]}""";

  @Test
  void aBusResetAboveASlotReportsTheBridgeFirst() {
    ResetFixture x = new ResetFixture(BOX);
    PciFunction bridge = x.at("0000:00:01.0");
    PciFunction slotPort = x.h.slotPort(4);
    List<String> reports = new ArrayList<>();
    x.h.topologyObserver(new TopologyObserver() {
      @Override
      public void routingChanged(PciFunction cause) {
        reports.add("routing " + cause);
      }

      @Override
      public void groupsChanged(PciFunction cause) {
        reports.add("groups " + cause);
      }
    });
    x.h.write(0, 1, 0, Type1.BRIDGE_CONTROL, 2, Type1.BRIDGE_CTL_BUS_RESET);
    x.h.write(0, 1, 0, Type1.BRIDGE_CONTROL, 2, 0);
    assertFalse(x.h.hotPlug().state(4).powered(), "the slot came out of reset powered off");
    assertEquals(List.of("routing " + bridge, "groups " + bridge), reports,
        "the bridge's reset is the cause, not the nested slot " + slotPort);
  }
}
