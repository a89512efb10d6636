package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.pciefarm.proto.v1.DeviceSpec;
import io.pciefarm.proto.v1.HierarchySpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A function that is not ready after a reset answers Configuration Request Retry Status: a
 * Vendor ID read returns 0x0001 (RRS Software Visibility, which firmware enumeration enables),
 * any other access is UNAVAILABLE, in unary calls and per access in batches.
 */
class RetryStatusTest extends LiveServer {

  @ParameterizedTest
  @EnumSource(Via.class)
  void notReadyAfterSecondaryBusResetIsRetryStatus(Via via) throws InterruptedException {
    String name = "test-rrs-" + via.name().toLowerCase();
    int segment = via == Via.TCP ? 0x700 : 0x701;
    // Time scale 200: after the reset the link trains for 4 s (20 ms scaled) and the drive
    // then stays not ready for 20 s more (100 ms scaled): a window the test cannot miss.
    HierarchyHandle h = client(via).createHierarchy(HierarchySpec.newBuilder().setName(name)
        .setSegment(segment).setTimeScale(200)
        .addDevices(DeviceSpec.newBuilder().setDevice(1).setModel("root-port-acs")
            .addChildren(DeviceSpec.newBuilder().setDevice(0).setModel("nvme-ssd")))
        .build());
    try {
      FunctionHandle port = h.function("00:01.0");
      FunctionHandle nvme = h.function("01:00.0");
      assertEquals(0x144d, nvme.readWord(0));
      port.writeWord(0x3e, 0x40); // assert Secondary Bus Reset
      port.writeWord(0x3e, 0x00); // release it: the drive resets and is not ready for a while
      int vendor = 0xffff;
      for (int i = 0; i < 600 && vendor == 0xffff; i++) {
        vendor = nvme.readWord(0); // all ones while the link below trains
        if (vendor == 0xffff) {
          Thread.sleep(20);
        }
      }
      assertEquals(0x0001, vendor, "Vendor ID under RRS Software Visibility");
      PcieFarmException e = expect(Status.Code.UNAVAILABLE, () -> nvme.readDword(8));
      assertTrue(e.getMessage().contains("Retry Status"), e.getMessage());
      try (ConfigStream s = client(via).openStream()) {
        Batch b = new Batch();
        b.read(nvme.address(), 8, 4);
        b.read(port.address(), 0, 2);
        BatchResult r = s.execute(b);
        assertEquals(Status.Code.UNAVAILABLE.value(), r.error(0).getCode());
        assertEquals(0x8086, r.value(1), "the port itself is unaffected");
      }
    } finally {
      client(via).deleteHierarchy(name);
    }
  }
}
