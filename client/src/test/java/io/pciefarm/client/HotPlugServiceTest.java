package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ClientInterceptors;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.grpc.Caller;
import io.pciefarm.grpc.PcieFarmServer;
import io.pciefarm.ownership.Lease;
import io.pciefarm.ownership.Leases;
import io.pciefarm.proto.v1.GetSlotRequest;
import io.pciefarm.proto.v1.HotPlugServiceGrpc;
import io.pciefarm.proto.v1.Indicator;
import io.pciefarm.proto.v1.InsertRequest;
import io.pciefarm.proto.v1.ListSlotsRequest;
import io.pciefarm.proto.v1.SetMrlRequest;
import io.pciefarm.proto.v1.SlotActionRequest;
import io.pciefarm.proto.v1.SlotRef;
import io.pciefarm.proto.v1.SlotState;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * HotPlugService end to end over real Netty: every RPC, what each action does to the slot's
 * registers, every status, and who may act on a slot. Each test builds its own instant
 * (time scale 0) hierarchy and deletes it.
 */
class HotPlugServiceTest extends LiveServer {
  /** Metadata the test interceptor turns into a non-administrator caller of that tenant. */
  static final Metadata.Key<String> TENANT = Metadata.Key.of("x-test-tenant",
      Metadata.ASCII_STRING_MARSHALLER);

  /**
   * Stands in for the authentication interceptor (not part of this service): a call with
   * {@link #TENANT} runs as that tenant without administrator rights; any other as
   * {@link Caller#LOCAL}.
   */
  @Override
  protected PcieFarmServer.Builder configure(PcieFarmServer.Builder b) {
    return b.intercept(new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        String tenant = headers.get(TENANT);
        if (tenant == null) {
          return next.startCall(call, headers);
        }
        Context c = Context.current().withValue(Caller.KEY, new Caller(tenant, false));
        return Contexts.interceptCall(c, call, headers, next);
      }
    });
  }

  /** A raw stub that calls as {@code tenant}, not an administrator. */
  HotPlugServiceGrpc.HotPlugServiceBlockingStub as(Via via, String tenant) {
    Metadata m = new Metadata();
    m.put(TENANT, tenant);
    return HotPlugServiceGrpc.newBlockingStub(ClientInterceptors.intercept(
        client(via).channel(), MetadataUtils.newAttachHeadersInterceptor(m)));
  }

  /** Slot 1 empty, slot 2 holding a drive, port 00:03.0 without a slot. */
  private Hierarchy rack(String name, int segment) {
    return server.farm().create(TopologyFiles.parse("""
        {"name":"%s","segment":%d,"timeScale":0,"devices":[
          {"device":1,"model":"root-port-hotplug-acs","slot":1},
          {"device":2,"model":"root-port-hotplug-acs","slot":2,
           "children":[{"device":0,"model":"nvme-ssd"}]},
          {"device":3,"model":"root-port-acs","children":[{"device":0,"model":"gpu"}]}]}"""
        .formatted(name, segment), name));
  }

  private static String name(Via via, String test) {
    return "test-hp-" + test + "-" + via.name().toLowerCase();
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void listAndGetSlots(Via via) {
    String n = name(via, "list");
    Hierarchy h = rack(n, via == Via.TCP ? 0x530 : 0x531);
    try {
      PcieFarmClient c = client(via);
      List<SlotState> slots = c.hierarchy(n).slots();
      assertEquals(List.of(1, 2), slots.stream().map(SlotState::getSlot).toList());
      SlotState empty = slots.get(0);
      String port1 = String.format("%04x:00:01.0", h.segment());
      assertEquals(n, empty.getHierarchy());
      assertEquals(port1, empty.getPort());
      assertFalse(empty.getCardPresent() || empty.getPowered() || empty.getLinkActive());
      assertEquals("", empty.getModel());
      assertTrue(empty.getCapabilities().getHotPlugCapable()
          && empty.getCapabilities().getAttentionButton()
          && empty.getCapabilities().getPowerController()
          && empty.getCapabilities().getMrlSensor(), empty.getCapabilities().toString());
      SlotState full = slots.get(1);
      assertTrue(full.getCardPresent() && full.getPowered() && full.getLinkActive());
      assertEquals("nvme-ssd", full.getModel());
      assertEquals(Indicator.INDICATOR_ON, full.getPowerIndicator());
      assertEquals(PciExpress.SLTSTA_PDS, full.getSlotStatus() & PciExpress.SLTSTA_PDS);

      assertEquals(full, c.slot(n, 2).state());
      HotPlugServiceGrpc.HotPlugServiceBlockingStub raw = HotPlugServiceGrpc.newBlockingStub(
          c.channel());
      assertEquals(empty, raw.getSlot(GetSlotRequest.newBuilder().setSlot(SlotRef.newBuilder()
          .setPort(port1)).build()));
      assertTrue(c.slots(null).stream().anyMatch(s -> s.getHierarchy().equals("storage-switch")),
          "every hierarchy's slots without a filter");

      PcieFarmException unknown = expect(Status.Code.NOT_FOUND, () -> c.slot(n, 9).state());
      assertTrue(unknown.getMessage().contains("[1, 2]"), unknown.getMessage());
      expect(Status.Code.NOT_FOUND, () -> c.slots("no-such-hierarchy"));
      expect(Status.Code.NOT_FOUND, () -> c.slot("no-such-hierarchy", 1).state());
      expectRaw(Status.Code.NOT_FOUND, () -> raw.getSlot(GetSlotRequest.newBuilder().setSlot(
          SlotRef.newBuilder().setPort(String.format("%04x:00:03.0", h.segment()))).build()));
      expectRaw(Status.Code.NOT_FOUND, () -> raw.getSlot(GetSlotRequest.newBuilder().setSlot(
          SlotRef.newBuilder().setPort(String.format("%04x:00:09.0", h.segment()))).build()));
      expectRaw(Status.Code.INVALID_ARGUMENT, () -> raw.getSlot(GetSlotRequest.newBuilder()
          .setSlot(SlotRef.newBuilder().setPort("slot one")).build()));
      expectRaw(Status.Code.INVALID_ARGUMENT, () -> raw.getSlot(
          GetSlotRequest.getDefaultInstance()));
      expectRaw(Status.Code.INVALID_ARGUMENT, () -> raw.getSlot(GetSlotRequest.newBuilder()
          .setSlot(SlotRef.newBuilder().setHierarchy(n)).build()));
      expectRaw(Status.Code.NOT_FOUND, () -> raw.listSlots(ListSlotsRequest.newBuilder()
          .setHierarchy("nope").build()));
    } finally {
      server.farm().delete(n);
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void everyActionChangesTheSlotAsHardwareWould(Via via) {
    String n = name(via, "act");
    Hierarchy h = rack(n, via == Via.TCP ? 0x532 : 0x533);
    try {
      SlotHandle empty = client(via).slot(n, 1);
      SlotState in = empty.insert("nvme-ssd", "new disk");
      assertTrue(in.getCardPresent());
      assertEquals("nvme-ssd", in.getModel());
      assertEquals(PciExpress.SLTSTA_PDS | PciExpress.SLTSTA_PDC,
          in.getSlotStatus() & (PciExpress.SLTSTA_PDS | PciExpress.SLTSTA_PDC));
      assertFalse(in.getPowered(), "waits for the OS to power it");
      assertEquals("new disk", h.slotPort(1).secondary().functions().get(0).label());

      PcieFarmException occupied = expect(Status.Code.FAILED_PRECONDITION,
          () -> empty.insert("gpu"));
      assertTrue(occupied.getMessage().contains("already holds"), occupied.getMessage());
      assertFalse(empty.remove().getCardPresent(), "pulled before power: orderly");
      PcieFarmException model = expect(Status.Code.INVALID_ARGUMENT,
          () -> empty.insert("warp-drive"));
      assertEquals(List.of("model"), model.badFields());
      expect(Status.Code.FAILED_PRECONDITION, empty::remove);

      SlotHandle full = client(via).slot(n, 2);
      SlotState button = full.pressAttentionButton();
      assertEquals(PciExpress.SLTSTA_ABP, button.getSlotStatus() & PciExpress.SLTSTA_ABP);
      SlotState open = full.openMrl();
      assertTrue(open.getMrlOpen());
      assertFalse(open.getLinkActive(), "an open latch cuts power to the card");
      assertEquals(PciExpress.SLTSTA_MRLSS | PciExpress.SLTSTA_MRLSC, open.getSlotStatus()
          & (PciExpress.SLTSTA_MRLSS | PciExpress.SLTSTA_MRLSC));
      SlotState closed = full.closeMrl();
      assertFalse(closed.getMrlOpen());
      assertTrue(closed.getLinkActive(), "power back with the latch closed");
      SlotState fault = full.injectPowerFault();
      assertEquals(PciExpress.SLTSTA_PFD, fault.getSlotStatus() & PciExpress.SLTSTA_PFD);
      assertFalse(fault.getPowered());
      SlotState out = full.remove();
      assertFalse(out.getCardPresent());
      assertEquals("", out.getModel());
    } finally {
      server.farm().delete(n);
    }
  }

  @Test
  void missingOrMalformedRequestsAreInvalidArguments() {
    String n = "test-hp-bad";
    rack(n, 0x534);
    try {
      HotPlugServiceGrpc.HotPlugServiceBlockingStub raw = HotPlugServiceGrpc.newBlockingStub(
          tcp.channel());
      SlotRef one = SlotRef.newBuilder().setHierarchy(n).setSlot(1).build();
      expectRaw(Status.Code.INVALID_ARGUMENT, () -> raw.insert(InsertRequest.newBuilder()
          .setSlot(one).build()));
      expectRaw(Status.Code.INVALID_ARGUMENT, () -> raw.remove(
          SlotActionRequest.getDefaultInstance()));
      expectRaw(Status.Code.NOT_FOUND, () -> raw.setMrl(SetMrlRequest.newBuilder()
          .setSlot(one.toBuilder().setSlot(77)).setOpen(true).build()));
      // A card that cannot sit in a slot: a port.
      expectRaw(Status.Code.INVALID_ARGUMENT, () -> raw.insert(InsertRequest.newBuilder()
          .setSlot(one).setModel("switch-upstream-port").build()));
    } finally {
      server.farm().delete(n);
    }
  }

  /**
   * Who may act: the tenant of the lease holding the card; on an empty slot or the host's card,
   * an administrator only. Everyone else is PERMISSION_DENIED, with the lease named.
   */
  @ParameterizedTest
  @EnumSource(Via.class)
  void actionsOnALeasedCardNeedItsTenant(Via via) throws Exception {
    String n = name(via, "auth");
    Hierarchy h = rack(n, via == Via.TCP ? 0x535 : 0x536);
    Leases leases = server.farm().leases();
    Lease lease = leases.acquire(new Leases.Request(h, List.of(), List.of(new PciAddress(
        h.segment(), h.slotPort(2).secondaryBusNumber(), 0, 0)), Duration.ofMinutes(5),
        "tenant-a", "alice", false, null)).get();
    try {
      SlotRef two = SlotRef.newBuilder().setHierarchy(n).setSlot(2).build();
      SlotActionRequest press = SlotActionRequest.newBuilder().setSlot(two).build();
      // The lease's tenant may, without being an administrator.
      SlotState s = as(via, "tenant-a").pressAttentionButton(press);
      assertEquals(PciExpress.SLTSTA_ABP, s.getSlotStatus() & PciExpress.SLTSTA_ABP);
      // Another tenant may not; nor may an administrator that does not hold the lease.
      io.grpc.StatusRuntimeException other = expectRaw(Status.Code.PERMISSION_DENIED,
          () -> as(via, "tenant-b").remove(press));
      assertTrue(other.getStatus().getDescription().contains(lease.id()),
          other.getStatus().getDescription());
      PcieFarmException admin = expect(Status.Code.PERMISSION_DENIED,
          () -> client(via).slot(n, 2).remove());
      assertTrue(admin.getMessage().contains("alice"), admin.getMessage());
      assertTrue(client(via).slot(n, 2).state().getCardPresent(), "nothing was done");
      // Reading is for everyone.
      assertTrue(as(via, "tenant-b").getSlot(GetSlotRequest.newBuilder().setSlot(two).build())
          .getCardPresent());
      // An empty slot: administrators only.
      SlotRef one = SlotRef.newBuilder().setHierarchy(n).setSlot(1).build();
      expectRaw(Status.Code.PERMISSION_DENIED, () -> as(via, "tenant-a").insert(
          InsertRequest.newBuilder().setSlot(one).setModel("nvme-ssd").build()));
      assertTrue(client(via).slot(n, 1).insert("nvme-ssd").getCardPresent());
      // The host's card: administrators only.
      expectRaw(Status.Code.PERMISSION_DENIED, () -> as(via, "tenant-a").setMrl(
          SetMrlRequest.newBuilder().setSlot(one).setOpen(true).build()));
    } finally {
      leases.release(lease.id(), "tenant-a").get();
      server.farm().delete(n);
    }
  }

  /** A slot without Hot-Plug Capable takes no operator insert or removal. */
  @ParameterizedTest
  @EnumSource(Via.class)
  void aSlotThatIsNotHotPlugCapableRefusesInsertAndRemove(Via via) {
    String n = name(via, "fixed");
    server.farm().create(TopologyFiles.parse("""
        {"name":"%s","segment":%d,"timeScale":0,"devices":[
          {"device":1,"model":"root-port-hotplug-acs","slot":1,"slotFeatures":{"fixed":true}},
          {"device":2,"model":"root-port-hotplug-acs","slot":2,"slotFeatures":{"fixed":true},
           "children":[{"device":0,"model":"nvme-ssd"}]}]}"""
        .formatted(n, via == Via.TCP ? 0x537 : 0x538), n));
    try {
      PcieFarmException in = expect(Status.Code.FAILED_PRECONDITION,
          () -> client(via).slot(n, 1).insert("nvme-ssd"));
      assertTrue(in.getMessage().contains("slot 1 is not hot-plug capable"), in.getMessage());
      PcieFarmException out = expect(Status.Code.FAILED_PRECONDITION,
          () -> client(via).slot(n, 2).remove());
      assertTrue(out.getMessage().contains("cannot be removed"), out.getMessage());
      assertFalse(client(via).slot(n, 1).state().getCardPresent(), "nothing was done");
      assertTrue(client(via).slot(n, 2).state().getCardPresent());
    } finally {
      server.farm().delete(n);
    }
  }

  /**
   * A hot-plug action repeated with its request_id acts once and is answered with the first
   * outcome; a new id acts again. The attention button's RW1C status bit shows it: software
   * clears it between the presses, so a second press would set it again.
   */
  @ParameterizedTest
  @EnumSource(Via.class)
  void aRepeatedRequestIdActsOnce(Via via) {
    String n = name(via, "idem");
    Hierarchy h = rack(n, via == Via.TCP ? 0x539 : 0x53a);
    try {
      HotPlugServiceGrpc.HotPlugServiceBlockingStub raw = HotPlugServiceGrpc.newBlockingStub(
          client(via).channel());
      PciFunction port = h.slotPort(2);
      int status = port.model().layout().capability(CapabilityId.EXP) + PciExpress.SLOT_STATUS;
      FunctionHandle ports = client(via).function(port.describe());
      SlotActionRequest press = SlotActionRequest.newBuilder()
          .setSlot(SlotRef.newBuilder().setHierarchy(n).setSlot(2))
          .setRequestId(PcieFarmClient.newRequestId()).build();

      SlotState first = raw.pressAttentionButton(press);
      assertEquals(PciExpress.SLTSTA_ABP, first.getSlotStatus() & PciExpress.SLTSTA_ABP);
      assertTrue(ports.writeWord(status, PciExpress.SLTSTA_ABP)); // the OS acknowledges it
      assertEquals(0, ports.readWord(status) & PciExpress.SLTSTA_ABP);

      assertEquals(first, raw.pressAttentionButton(press), "the first outcome, replayed");
      assertEquals(0, ports.readWord(status) & PciExpress.SLTSTA_ABP, "not pressed again");

      SlotState second = raw.pressAttentionButton(press.toBuilder()
          .setRequestId(PcieFarmClient.newRequestId()).build());
      assertEquals(PciExpress.SLTSTA_ABP, second.getSlotStatus() & PciExpress.SLTSTA_ABP);
      assertEquals(PciExpress.SLTSTA_ABP, ports.readWord(status) & PciExpress.SLTSTA_ABP,
          "a new id presses again");

      // An insertion retried with its id is answered with the card it inserted, not refused
      // for the card now in the slot; a new id is refused for it.
      InsertRequest insert = InsertRequest.newBuilder()
          .setSlot(SlotRef.newBuilder().setHierarchy(n).setSlot(1)).setModel("nvme-ssd")
          .setRequestId(PcieFarmClient.newRequestId()).build();
      SlotState in = raw.insert(insert);
      assertTrue(in.getCardPresent());
      assertEquals(in, raw.insert(insert));
      expectRaw(Status.Code.FAILED_PRECONDITION, () -> raw.insert(insert.toBuilder()
          .setRequestId(PcieFarmClient.newRequestId()).build()));
      // The id of a different request is a mistake, not a retry.
      expectRaw(Status.Code.INVALID_ARGUMENT, () -> raw.insert(insert.toBuilder()
          .setModel("gpu").build()));
    } finally {
      server.farm().delete(n);
    }
  }
}
