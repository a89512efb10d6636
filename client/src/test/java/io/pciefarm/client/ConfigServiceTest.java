package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.pciefarm.proto.v1.ConfigServiceGrpc;
import io.pciefarm.proto.v1.ReadRequest;
import io.pciefarm.proto.v1.ReadResponse;
import io.pciefarm.proto.v1.Width;
import io.pciefarm.proto.v1.WriteRequest;
import io.pciefarm.proto.v1.WriteResponse;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** ConfigService's unary RPCs end to end, and every status they answer with. */
class ConfigServiceTest extends LiveServer {
  private static final String NVME = "0001:03:00.0"; // storage-switch, bay 1

  private ConfigServiceGrpc.ConfigServiceBlockingStub stub(Via via) {
    return ConfigServiceGrpc.newBlockingStub(client(via).channel());
  }

  private static ReadRequest read(String address, int offset, Width width) {
    return ReadRequest.newBuilder().setAddress(address).setOffset(offset).setWidth(width).build();
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void readsEveryFunctionAsTheEngineDoes(Via via) {
    for (Hierarchy h : server.farm().list()) {
      for (PciFunction f : h.functions()) {
        PciAddress a = f.address();
        FunctionHandle fn = client(via).function(a.toString());
        for (int offset : new int[] {0x00, 0x04, 0x08, 0x0c, 0x18, 0x34, 0x100}) {
          assertEquals(f.config().read(offset, 4), fn.readDword(offset), a + " @" + offset);
        }
        int dword = fn.readDword(0);
        assertEquals(dword & 0xffff, fn.readWord(0));
        assertEquals(dword >>> 16, fn.readWord(2));
        assertEquals((dword >>> 8) & 0xff, fn.readByte(1));
        assertEquals(dword >>> 24, fn.readByte(3));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void segmentZeroMayBeLeftOut(Via via) {
    assertEquals(client(via).function("0000:01:00.0").readDword(0),
        client(via).function("01:00.0").readDword(0));
    ReadResponse r = stub(via).read(read("01:00.0", 0, Width.WIDTH_WORD));
    assertEquals(0x10de, r.getValue());
    assertTrue(r.getPresent());
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void anEmptyAddressReadsAllOnesAndDropsWrites(Via via) {
    // Device 1f on the storage shelf's root bus: nothing there.
    String empty = "0001:00:1f.0";
    ReadResponse b = stub(via).read(read(empty, 0, Width.WIDTH_BYTE));
    assertEquals(0xff, b.getValue());
    assertFalse(b.getPresent());
    assertEquals(0xffff, stub(via).read(read(empty, 2, Width.WIDTH_WORD)).getValue());
    assertEquals(0xffffffff, stub(via).read(read(empty, 0x100, Width.WIDTH_DWORD)).getValue());
    // A bus that no bridge forwards to: all ones too.
    assertEquals(0xffffffff, client(via).function("0001:7f:00.0").readDword(0));
    WriteResponse w = stub(via).write(WriteRequest.newBuilder().setAddress(empty).setOffset(4)
        .setWidth(Width.WIDTH_WORD).setValue(6).build());
    assertFalse(w.getPresent());
    assertEquals(0xffff, stub(via).read(read(empty, 4, Width.WIDTH_WORD)).getValue());
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void writesChangeWritableBitsOnly(Via via) {
    // The GPU of gpu-passthrough: Command register; memory space and bus master are RW.
    FunctionHandle gpu = client(via).function("0000:01:00.0");
    int before = gpu.readWord(4);
    try {
      assertTrue(gpu.writeWord(4, 0x0006));
      assertEquals(0x0006, gpu.readWord(4) & 0x0006);
      gpu.writeWord(4, 0);
      assertEquals(0, gpu.readWord(4) & 0x0006);
      // Vendor ID is read-only: a write changes nothing.
      gpu.writeWord(0, 0x1234);
      assertEquals(0x10de, gpu.readWord(0));
    } finally {
      gpu.writeWord(4, before);
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void malformedAddressesAreInvalidArgumentNamingTheText(Via via) {
    for (String bad : List.of("", "zz:zz.z", "0000:00:00.8", "0000:00:20.0", "10000:00:00.0",
        "00:1f", "0000:100:00.0", "three")) {
      StatusRuntimeException e = expectRaw(Status.Code.INVALID_ARGUMENT,
          () -> stub(via).read(read(bad, 0, Width.WIDTH_DWORD)));
      assertEquals(List.of("address"), FarmServiceTest.fields(e), bad);
      if (!bad.isEmpty()) {
        assertTrue(e.getStatus().getDescription().contains(bad), e.getStatus().getDescription());
      } else {
        assertTrue(e.getStatus().getDescription().contains("missing"));
      }
      expectRaw(Status.Code.INVALID_ARGUMENT, () -> stub(via).write(WriteRequest.newBuilder()
          .setAddress(bad).setOffset(0).setWidth(Width.WIDTH_BYTE).build()));
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void badOffsetsAreInvalidArgumentNamingTheOffset(Via via) {
    record Case(int offset, Width width, String says) {}
    for (Case c : List.of(
        new Case(0x1, Width.WIDTH_WORD, "0x1 is not aligned"),
        new Case(0x6, Width.WIDTH_DWORD, "0x6 is not aligned"),
        new Case(0x1000, Width.WIDTH_BYTE, "0x1000"),
        new Case(0xffe, Width.WIDTH_DWORD, "0xffe"),
        new Case(0xffffffff, Width.WIDTH_BYTE, "0xffffffff"),
        new Case(0x80000000, Width.WIDTH_DWORD, "0x80000000"))) {
      StatusRuntimeException e = expectRaw(Status.Code.INVALID_ARGUMENT,
          () -> stub(via).read(read(NVME, c.offset(), c.width())));
      assertTrue(e.getStatus().getDescription().contains(c.says()),
          e.getStatus().getDescription());
      assertEquals(List.of("offset"), FarmServiceTest.fields(e));
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void badWidthsAreInvalidArgument(Via via) {
    StatusRuntimeException missing = expectRaw(Status.Code.INVALID_ARGUMENT,
        () -> stub(via).read(read(NVME, 0, Width.WIDTH_UNSPECIFIED)));
    assertTrue(missing.getStatus().getDescription().contains("width is missing"));
    assertEquals(List.of("width"), FarmServiceTest.fields(missing));
    for (int unknown : new int[] {3, 8, 1000, -1}) {
      StatusRuntimeException e = expectRaw(Status.Code.INVALID_ARGUMENT,
          () -> stub(via).read(ReadRequest.newBuilder().setAddress(NVME).setWidthValue(unknown)
              .build()));
      assertTrue(e.getStatus().getDescription().contains("width " + unknown),
          e.getStatus().getDescription());
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void valuesMustFitTheWidth(Via via) {
    StatusRuntimeException e = expectRaw(Status.Code.INVALID_ARGUMENT,
        () -> stub(via).write(WriteRequest.newBuilder().setAddress(NVME).setOffset(4)
            .setWidth(Width.WIDTH_BYTE).setValue(0x1ff).build()));
    assertTrue(e.getStatus().getDescription().contains("0x1ff"), e.getStatus().getDescription());
    assertEquals(List.of("value"), FarmServiceTest.fields(e));
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void unknownSegmentIsNotFound(Via via) {
    StatusRuntimeException e = expectRaw(Status.Code.NOT_FOUND,
        () -> stub(via).read(read("0777:00:00.0", 0, Width.WIDTH_DWORD)));
    String m = e.getStatus().getDescription();
    assertTrue(m.contains("0777") && m.contains("0001 (storage-switch)"), m);
    expectRaw(Status.Code.NOT_FOUND, () -> stub(via).write(WriteRequest.newBuilder()
        .setAddress("0777:00:00.0").setOffset(4).setWidth(Width.WIDTH_WORD).build()));
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void clientLibraryReportsStatuses(Via via) {
    PcieFarmException e = expect(Status.Code.INVALID_ARGUMENT,
        () -> client(via).function(NVME).readDword(2));
    assertTrue(e.getMessage().contains("0x2"), e.getMessage());
    expect(Status.Code.NOT_FOUND, () -> client(via).function("0777:00:00.0").readByte(0));
  }
}
