package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.ownership.Assignability;
import io.pciefarm.proto.v1.CreateHierarchyRequest;
import io.pciefarm.proto.v1.DeleteHierarchyRequest;
import io.pciefarm.proto.v1.DeviceSpec;
import io.pciefarm.proto.v1.FarmServiceGrpc;
import io.pciefarm.proto.v1.FunctionInfo;
import io.pciefarm.proto.v1.HierarchyInfo;
import io.pciefarm.proto.v1.HierarchySpec;
import io.pciefarm.proto.v1.NotAssignableReason;
import io.pciefarm.proto.v1.TopologySnapshot;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.ExtendedCapabilities;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.Type1;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciFunction;
import io.pciefarm.topology.TopologyTree;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** FarmService end to end over real Netty: every RPC and every status it answers with. */
class FarmServiceTest extends LiveServer {

  private static HierarchySpec small(String name, int segment) {
    return HierarchySpec.newBuilder().setName(name).setSegment(segment)
        .setDescription("test hierarchy")
        .addDevices(DeviceSpec.newBuilder().setDevice(1).setModel("root-port-acs")
            .addChildren(DeviceSpec.newBuilder().setDevice(0).setModel("nvme-ssd")))
        .build();
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void listsTheDefaultFarmInSegmentOrder(Via via) {
    List<HierarchyInfo> all = client(via).hierarchies();
    List<String> names = all.stream().map(HierarchyInfo::getName).toList();
    assertEquals(List.of("gpu-passthrough", "storage-switch", "legacy-bridge", "hotplug-rack",
        "catalog-showcase"), names.stream().filter(n -> !n.startsWith("test-")).toList());
    for (HierarchyInfo h : all) {
      Hierarchy engine = server.farm().get(h.getName());
      assertEquals(engine.segment(), h.getSegment());
      assertEquals(engine.functions().size(), h.getFunctionCount());
      assertEquals(engine.buses().size(), h.getBusCount());
      assertEquals(engine.groups().count(), h.getGroupCount());
      assertFalse(h.hasSpec(), "listings leave the spec out");
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void getHierarchyReturnsTheSpecItWasBuiltFrom(Via via) {
    HierarchyInfo info = client(via).hierarchy("storage-switch").info();
    assertEquals(TopologyFiles.example("storage-switch.json"), info.getSpec());
    assertEquals(1, client(via).hierarchy("storage-switch").segment());
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void unknownHierarchyIsNotFoundAndNamesWhatExists(Via via) {
    PcieFarmException e = expect(Status.Code.NOT_FOUND,
        () -> client(via).hierarchy("no-such-thing").info());
    assertTrue(e.getMessage().contains("no-such-thing") && e.getMessage().contains("gpu-passthrough"),
        e.getMessage());
    expect(Status.Code.NOT_FOUND, () -> client(via).topology("no-such-thing"));
    expect(Status.Code.NOT_FOUND, () -> client(via).deleteHierarchy("no-such-thing"));
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void createUseAndDelete(Via via) {
    PcieFarmClient c = client(via);
    String name = "test-create-" + via.name().toLowerCase();
    int segment = via == Via.TCP ? 0x100 : 0x101;
    HierarchyHandle h = c.createHierarchy(small(name, segment));
    assertEquals(segment, h.segment());
    HierarchyInfo info = h.info();
    assertEquals(2, info.getFunctionCount());
    assertEquals(small(name, segment), info.getSpec());
    assertTrue(c.hierarchies().stream().anyMatch(x -> x.getName().equals(name)));

    // The NVMe drive below the root port answers its IDs at 01:00.0 of the new segment.
    assertEquals(0x144d, h.function("01:00.0").readWord(0));
    TopologySnapshot t = h.topology();
    assertEquals(List.of(String.format("%04x:00:01.0", segment),
        String.format("%04x:01:00.0", segment)),
        t.getFunctionsList().stream().map(FunctionInfo::getAddress).toList());

    HierarchyInfo deleted = c.deleteHierarchy(name);
    assertEquals(name, deleted.getName());
    assertEquals(small(name, segment), deleted.getSpec());
    expect(Status.Code.NOT_FOUND, h::info);
    // Its segment is gone: config requests there are NOT_FOUND, naming the segment.
    PcieFarmException gone = expect(Status.Code.NOT_FOUND,
        () -> c.function(String.format("%04x:01:00.0", segment)).readWord(0));
    assertTrue(gone.getMessage().contains(String.format("%04x", segment)), gone.getMessage());
  }

  /**
   * CreateHierarchy with {@code unprogrammed}: the client sees the machine as reset left it and
   * enumerates it itself over Config Read/Write.
   */
  @ParameterizedTest
  @EnumSource(Via.class)
  void unprogrammedHierarchyIsLeftForTheClientToEnumerate(Via via) {
    PcieFarmClient c = client(via);
    String name = "test-unprogrammed-" + via.name().toLowerCase();
    int segment = via == Via.TCP ? 0x330 : 0x331;
    HierarchyHandle h = c.createHierarchy(small(name, segment).toBuilder().setUnprogrammed(true)
        .build());
    try {
      Hierarchy engine = server.farm().get(name);
      PciFunction port = engine.rootBus().function(1 << 3);
      int acs = port.model().layout().extendedCapability(CapabilityId.EXT_ACS);
      int exp = port.model().layout().capability(CapabilityId.EXP);

      TopologySnapshot t = h.topology();
      assertEquals(String.format("-+-[0000:00]-\n \\-[%04x:00]---01.0--\n", segment),
          t.getTree());
      FunctionInfo portInfo = t.getFunctions(0);
      FunctionInfo nvmeInfo = t.getFunctions(1);
      assertEquals(String.format("%04x:00:01.0", segment), portInfo.getAddress());
      assertEquals(0, portInfo.getSecondaryBus());
      assertFalse(nvmeInfo.getReachable(), nvmeInfo.toString());
      assertEquals("", nvmeInfo.getAddress());
      assertEquals(portInfo.getIsolationGroup(), nvmeInfo.getIsolationGroup(),
          "ACS off: the drive shares its root port's group");

      FunctionHandle rp = h.function("00:01.0");
      assertEquals(0, rp.readWord(Header.COMMAND));
      assertEquals(0, rp.readDword(Type1.PRIMARY_BUS) & 0xFF_FFFF, "bus numbers");
      assertEquals(0, rp.readDword(Type1.MEMORY_BASE), "memory window at reset");
      assertEquals(0, rp.readWord(acs + ExtendedCapabilities.ACS_CONTROL));
      assertEquals(0, rp.readWord(exp + PciExpress.ROOT_CONTROL) & PciExpress.RTCTL_RRS_SVE);
      assertEquals(0xFFFF, h.function("01:00.0").readWord(0), "nothing routes to bus 1 yet");

      // The client numbers the bus, as an OS scan does; the drive appears, unassigned.
      assertTrue(rp.writeDword(Type1.PRIMARY_BUS, 0x01_01_00));
      FunctionHandle nvme = h.function("01:00.0");
      assertEquals(0x144d, nvme.readWord(0));
      assertEquals(0, nvme.readWord(Header.COMMAND));
      assertEquals(0, nvme.readDword(Header.BAR0) & ~0xF, "BAR0 unassigned");
      assertEquals(0, nvme.readDword(Header.BAR0 + 4), "BAR0 upper dword");
      assertTrue(h.topology().getFunctions(1).getReachable());
    } finally {
      c.deleteHierarchy(name);
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void duplicatesAreAlreadyExists(Via via) {
    PcieFarmClient c = client(via);
    PcieFarmException byName = expect(Status.Code.ALREADY_EXISTS,
        () -> c.createHierarchy(small("storage-switch", 0x200)));
    assertTrue(byName.getMessage().contains("storage-switch"), byName.getMessage());
    PcieFarmException bySegment = expect(Status.Code.ALREADY_EXISTS,
        () -> c.createHierarchy(small("test-dup-segment-" + via.name().toLowerCase(), 1)));
    assertTrue(bySegment.getMessage().contains("0001"), bySegment.getMessage());
    assertEquals(5, c.hierarchies().stream().filter(x -> !x.getName().startsWith("test-"))
        .count());
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void invalidTopologyIsInvalidArgumentWithThePlace(Via via) {
    HierarchySpec bad = HierarchySpec.newBuilder().setName("test-bad").setSegment(0x300)
        .addDevices(DeviceSpec.newBuilder().setDevice(1).setModel("root-port-acs"))
        .addDevices(DeviceSpec.newBuilder().setDevice(2).setModel("root-port-acs")
            .addChildren(DeviceSpec.newBuilder().setDevice(0).setModel("warp-drive")))
        .build();
    PcieFarmException e = expect(Status.Code.INVALID_ARGUMENT,
        () -> client(via).createHierarchy(bad));
    assertTrue(e.getMessage().startsWith("devices[1].children[0]"), e.getMessage());
    assertTrue(e.getMessage().contains("warp-drive"), e.getMessage());
    assertEquals(1, e.badFields().size());
    assertTrue(e.badFields().get(0).startsWith("spec.devices[1].children[0]"),
        e.badFields().toString());

    PcieFarmException name = expect(Status.Code.INVALID_ARGUMENT, () -> client(via)
        .createHierarchy(small("Not A Name", 0x301)));
    assertEquals(List.of("spec.name"), name.badFields());
    expect(Status.Code.NOT_FOUND, () -> client(via).hierarchy("test-bad").info());
  }

  /** A function listed twice is refused before the engine builds anything. */
  @ParameterizedTest
  @EnumSource(Via.class)
  void duplicateFunctionNumbersAreInvalidArgument(Via via) {
    String name = "test-dup-fn-" + via.name().toLowerCase();
    HierarchySpec bad = HierarchySpec.newBuilder().setName(name).setSegment(0x310)
        .addDevices(DeviceSpec.newBuilder().setDevice(1).setModel("root-port-acs")
            .addChildren(DeviceSpec.newBuilder().setDevice(0).setModel("gpu")
                .addFunctions(0).addFunctions(0)))
        .build();
    PcieFarmException e = expect(Status.Code.INVALID_ARGUMENT,
        () -> client(via).createHierarchy(bad));
    assertTrue(e.getMessage().startsWith("devices[0].children[0]"), e.getMessage());
    assertTrue(e.getMessage().contains("function 0 is listed twice"), e.getMessage());
    assertEquals(List.of("spec.devices[0].children[0] (device 0, model 'gpu')"), e.badFields());
    expect(Status.Code.NOT_FOUND, () -> client(via).hierarchy(name).info());
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void invalidTimingsAreInvalidArgument(Via via) {
    String name = "test-timing-" + via.name().toLowerCase();
    HierarchySpec slow = small(name, 0x320).toBuilder().setSlotCommandMs(-1).build();
    PcieFarmException e = expect(Status.Code.INVALID_ARGUMENT,
        () -> client(via).createHierarchy(slow));
    assertEquals(List.of("spec.slotCommandMs"), e.badFields());
    assertTrue(e.getMessage().contains("-1.0 ms must be a finite number >= 0"), e.getMessage());
    HierarchySpec scaled = small(name, 0x320).toBuilder().setTimeScale(Double.NaN).build();
    e = expect(Status.Code.INVALID_ARGUMENT, () -> client(via).createHierarchy(scaled));
    assertEquals(List.of("spec.timeScale"), e.badFields());
    assertTrue(e.getMessage().contains("time scale NaN must be a finite number >= 0"),
        e.getMessage());
    expect(Status.Code.NOT_FOUND, () -> client(via).hierarchy(name).info());
    // nothing was left behind: the segment is free
    assertEquals(0x320, client(via).createHierarchy(small(name, 0x320)).segment());
    client(via).deleteHierarchy(name);
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void missingFieldsAreInvalidArgument(Via via) {
    FarmServiceGrpc.FarmServiceBlockingStub stub =
        FarmServiceGrpc.newBlockingStub(client(via).channel());
    StatusRuntimeException noSpec = expectRaw(Status.Code.INVALID_ARGUMENT,
        () -> stub.createHierarchy(CreateHierarchyRequest.getDefaultInstance()));
    assertEquals(List.of("spec"), fields(noSpec));
    StatusRuntimeException noName = expectRaw(Status.Code.INVALID_ARGUMENT,
        () -> stub.deleteHierarchy(DeleteHierarchyRequest.getDefaultInstance()));
    assertEquals(List.of("name"), fields(noName));
  }

  static List<String> fields(StatusRuntimeException e) {
    List<String> out = new ArrayList<>();
    com.google.rpc.Status s = StatusProto.fromThrowable(e);
    for (Any any : s.getDetailsList()) {
      try {
        for (BadRequest.FieldViolation v : any.unpack(BadRequest.class).getFieldViolationsList()) {
          out.add(v.getField());
        }
      } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
        throw new AssertionError(ex);
      }
    }
    return out;
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void topologyMatchesTheEngine(Via via) {
    java.util.Set<NotAssignableReason> codes =
        java.util.EnumSet.noneOf(NotAssignableReason.class);
    for (Hierarchy h : server.farm().list()) {
      if (h.name().startsWith("test-")) {
        continue;
      }
      TopologySnapshot t = client(via).topology(h.name());
      assertEquals(TopologyTree.render(h), t.getTree());
      assertEquals(h.functions().size(), t.getFunctionsCount());
      for (FunctionInfo f : t.getFunctionsList()) {
        assertTrue(f.getReachable(), f.toString());
        Address a = Address.parse(f.getAddress());
        assertEquals(a.packed(), f.getPackedAddress());
        PciFunction engine = h.lookup(a.bus(), a.devfn());
        assertEquals(h.name(), f.getHierarchy());
        assertEquals(engine.deviceModel().name(), f.getModel());
        assertEquals(engine.config().read(0, 2), f.getVendorId());
        assertEquals(engine.config().read(2, 2), f.getDeviceId());
        assertEquals(engine.config().layout().size(), f.getConfigSize());
        assertEquals(engine.isBridge(), f.getBridge());
        assertEquals(engine.isHost(), f.getHost());
        assertEquals(h.groups().groupOf(engine), f.getIsolationGroup());
        assertEquals(Hierarchy.physicalSlot(engine), f.getSlot());
        Assignability as = Assignability.of(engine);
        assertEquals(as.assignable(), f.getAssignable());
        assertEquals(as.reasons().stream().map(Assignability.Problem::detail).toList(),
            f.getNotAssignableReasonsList());
        assertEquals(as.reasons().stream().map(p -> code(p.reason())).toList(),
            f.getNotAssignableReasonCodesList());
        codes.addAll(f.getNotAssignableReasonCodesList());
        if (engine.isBridge()) {
          assertEquals(engine.secondaryBusNumber(), f.getSecondaryBus());
        }
      }
      List<String> addresses = t.getFunctionsList().stream().map(FunctionInfo::getAddress)
          .toList();
      assertEquals(addresses.stream().sorted().toList(), addresses, "address order");
    }
    // The default farm shows every reason but a group shared with the host (for that one see
    // acsControlWritesRegroupWhatFunctionInfoReports), each with its code.
    assertEquals(java.util.EnumSet.of(NotAssignableReason.NOT_ASSIGNABLE_REASON_BRIDGE,
        NotAssignableReason.NOT_ASSIGNABLE_REASON_HOST_DEVICE,
        NotAssignableReason.NOT_ASSIGNABLE_REASON_SUB_PAGE_BAR,
        NotAssignableReason.NOT_ASSIGNABLE_REASON_NO_RESET_METHOD), codes);
    // The storage shelf's downstream ports carry their slot numbers; a slot shows up.
    assertTrue(client(via).topology("storage-switch").getFunctionsList().stream()
        .anyMatch(f -> f.getSlot() != 0));
  }

  /** The wire code of an engine reason, written out so a renamed constant fails here. */
  private static NotAssignableReason code(Assignability.Reason r) {
    return switch (r) {
      case BRIDGE -> NotAssignableReason.NOT_ASSIGNABLE_REASON_BRIDGE;
      case HOST_DEVICE -> NotAssignableReason.NOT_ASSIGNABLE_REASON_HOST_DEVICE;
      case GROUP_SHARED_WITH_HOST ->
          NotAssignableReason.NOT_ASSIGNABLE_REASON_GROUP_SHARED_WITH_HOST;
      case SUB_PAGE_BAR -> NotAssignableReason.NOT_ASSIGNABLE_REASON_SUB_PAGE_BAR;
      case NO_RESET_METHOD -> NotAssignableReason.NOT_ASSIGNABLE_REASON_NO_RESET_METHOD;
    };
  }

  /**
   * A Config Write to a root port's ACS Control regroups at once: the drive below the switch
   * joins the host's boot drive in one group and stops being assignable, with the reason code;
   * writing the controls back undoes it.
   */
  @ParameterizedTest
  @EnumSource(Via.class)
  void acsControlWritesRegroupWhatFunctionInfoReports(Via via) {
    PcieFarmClient c = client(via);
    String name = "test-acs-" + via.name().toLowerCase();
    int segment = via == Via.TCP ? 0x340 : 0x341;
    DeviceSpec.Builder sw = DeviceSpec.newBuilder().setDevice(0).setModel("switch-upstream-port")
        .addChildren(DeviceSpec.newBuilder().setDevice(0).setModel("switch-downstream-port")
            .addChildren(DeviceSpec.newBuilder().setDevice(0).setModel("nvme-ssd").setHost(true)))
        .addChildren(DeviceSpec.newBuilder().setDevice(1).setModel("switch-downstream-port")
            .addChildren(DeviceSpec.newBuilder().setDevice(0).setModel("nvme-ssd")));
    HierarchyHandle h = c.createHierarchy(HierarchySpec.newBuilder().setName(name)
        .setSegment(segment).addDevices(DeviceSpec.newBuilder().setDevice(1)
            .setModel("root-port-acs").addChildren(sw)).build());
    try {
      PciFunction port = server.farm().get(name).rootBus().function(1 << 3);
      int control = port.model().layout().extendedCapability(CapabilityId.EXT_ACS)
          + ExtendedCapabilities.ACS_CONTROL;
      FunctionHandle rp = h.function("00:01.0");
      int on = rp.readWord(control);
      assertEquals(ExtendedCapabilities.ACS_ISOLATION, on & ExtendedCapabilities.ACS_ISOLATION);
      String boot = String.format("%04x:03:00.0", segment);
      String guest = String.format("%04x:04:00.0", segment);

      FunctionInfo before = info(h, guest);
      assertTrue(before.getAssignable(), before.toString());
      assertTrue(before.getIsolationGroup() != info(h, boot).getIsolationGroup());

      assertTrue(rp.writeWord(control, on & ~ExtendedCapabilities.ACS_UF));
      FunctionInfo after = info(h, guest);
      assertEquals(info(h, boot).getIsolationGroup(), after.getIsolationGroup());
      assertEquals(info(h, "00:01.0").getIsolationGroup(), after.getIsolationGroup());
      assertFalse(after.getAssignable(), after.toString());
      assertEquals(List.of(NotAssignableReason.NOT_ASSIGNABLE_REASON_GROUP_SHARED_WITH_HOST),
          after.getNotAssignableReasonCodesList());
      assertTrue(after.getNotAssignableReasons(0).contains(boot), after.toString());

      assertTrue(rp.writeWord(control, on));
      FunctionInfo restored = info(h, guest);
      assertEquals(before.getIsolationGroup(), restored.getIsolationGroup());
      assertTrue(restored.getAssignable(), restored.toString());
    } finally {
      c.deleteHierarchy(name);
    }
  }

  private static FunctionInfo info(HierarchyHandle h, String address) {
    String full = address.length() == 7 ? String.format("%04x:%s", h.segment(), address)
        : address;
    return h.topology().getFunctionsList().stream().filter(f -> f.getAddress().equals(full))
        .findFirst().orElseThrow(() -> new AssertionError("no " + full));
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void wholeFarmTopologyDrawsEverySegment(Via via) {
    TopologySnapshot t = client(via).topology("");
    List<Hierarchy> all = server.farm().list();
    assertEquals(all.size(), t.getHierarchiesCount());
    assertEquals(TopologyTree.render(all), t.getTree());
    assertEquals(all.stream().mapToInt(h -> h.functions().size()).sum(), t.getFunctionsCount());
  }
}
