package io.pciefarm.grpc;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.pciefarm.farm.Farm;
import io.pciefarm.hotplug.HotPlug;
import io.pciefarm.ownership.Lease;
import io.pciefarm.ownership.Owner;
import io.pciefarm.proto.v1.GetSlotRequest;
import io.pciefarm.proto.v1.HotPlugServiceGrpc;
import io.pciefarm.proto.v1.Indicator;
import io.pciefarm.proto.v1.InsertRequest;
import io.pciefarm.proto.v1.ListSlotsRequest;
import io.pciefarm.proto.v1.ListSlotsResponse;
import io.pciefarm.proto.v1.SetMrlRequest;
import io.pciefarm.proto.v1.SlotActionRequest;
import io.pciefarm.proto.v1.SlotCapabilities;
import io.pciefarm.proto.v1.SlotRef;
import io.pciefarm.proto.v1.SlotState;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Hot-plug over gRPC: the operator's actions on {@link Hierarchy#hotPlug()} and the slots'
 * state. Every call runs on the farm worker pool (inserting a card builds functions and
 * recomputes routing), never on an event loop.
 *
 * <h2>Authorization</h2>
 * An action on a slot whose card belongs to a lease needs the lease's tenant
 * ({@link Caller#mayModify}); an empty slot, or a card the host owns, needs an administrator.
 * Otherwise PERMISSION_DENIED, naming the lease. Without an authentication interceptor every
 * caller is {@link Caller#LOCAL}, an administrator.
 *
 * <h2>Idempotency</h2>
 * Each action's whole work is one method taking the request and returning the state after it
 * ({@link #insert(InsertRequest)}, {@link #remove(SlotActionRequest)} ...), so a replay cache
 * {@code request_id} makes it run once: a retry is answered with the first outcome.
 */
final class HotPlugServiceImpl extends HotPlugServiceGrpc.HotPlugServiceImplBase {
  private final Farm farm;
  private final Executor workers;
  private final IdempotentCalls idempotent;

  HotPlugServiceImpl(Farm farm, Executor workers, IdempotentCalls idempotent) {
    this.farm = farm;
    this.workers = workers;
    this.idempotent = idempotent;
  }

  @Override
  public void listSlots(ListSlotsRequest request, StreamObserver<ListSlotsResponse> out) {
    Calls.offload(workers, out, () -> {
      List<Hierarchy> hierarchies = request.getHierarchy().isEmpty() ? farm.list()
          : List.of(farm.get(request.getHierarchy()));
      ListSlotsResponse.Builder b = ListSlotsResponse.newBuilder();
      for (Hierarchy h : hierarchies) {
        for (io.pciefarm.hotplug.SlotState s : h.hotPlug().slots()) {
          b.addSlots(state(h, s));
        }
      }
      return b.build();
    });
  }

  @Override
  public void getSlot(GetSlotRequest request, StreamObserver<SlotState> out) {
    Calls.offload(workers, out, () -> state(slot(request.getSlot())));
  }

  @Override
  public void insert(InsertRequest request, StreamObserver<SlotState> out) {
    once(HotPlugServiceGrpc.getInsertMethod().getFullMethodName(),
        request.getRequestId(), request, () -> insert(request), out);
  }

  @Override
  public void remove(SlotActionRequest request, StreamObserver<SlotState> out) {
    once(HotPlugServiceGrpc.getRemoveMethod().getFullMethodName(),
        request.getRequestId(), request, () -> remove(request), out);
  }

  @Override
  public void pressAttentionButton(SlotActionRequest request, StreamObserver<SlotState> out) {
    once(HotPlugServiceGrpc.getPressAttentionButtonMethod().getFullMethodName(),
        request.getRequestId(), request, () -> pressAttentionButton(request), out);
  }

  @Override
  public void setMrl(SetMrlRequest request, StreamObserver<SlotState> out) {
    once(HotPlugServiceGrpc.getSetMrlMethod().getFullMethodName(),
        request.getRequestId(), request, () -> setMrl(request), out);
  }

  @Override
  public void injectPowerFault(SlotActionRequest request, StreamObserver<SlotState> out) {
    once(HotPlugServiceGrpc.getInjectPowerFaultMethod().getFullMethodName(),
        request.getRequestId(), request, () -> injectPowerFault(request), out);
  }

  /** Runs an action once per request_id; a retry is answered with the first outcome. */
  private void once(String rpc, String requestId, Object request,
      java.util.function.Supplier<SlotState> action, StreamObserver<SlotState> out) {
    IdempotentCalls.reply(idempotent.once(Caller.current(), rpc, requestId, request,
        () -> Calls.onWorker(workers, () -> CompletableFuture.completedFuture(action.get())),
        null), out);
  }

  // -------------------------------------------------------------------------------------------
  // The work of each action: the request in, the slot's state after it out

  SlotState insert(InsertRequest request) {
    if (request.getModel().isEmpty()) {
      throw RequestException.invalid("model", "model is missing: give the card's catalog model"
          + " (pciefarm catalog lists them)");
    }
    Slot s = slot(request.getSlot());
    authorize(s, "insert a card into");
    s.hotPlug().insert(s.number, request.getModel(), request.getLabel());
    return state(s);
  }

  SlotState remove(SlotActionRequest request) {
    Slot s = slot(request.getSlot());
    authorize(s, "remove the card from");
    s.hotPlug().remove(s.number);
    return state(s);
  }

  SlotState pressAttentionButton(SlotActionRequest request) {
    Slot s = slot(request.getSlot());
    authorize(s, "press the attention button of");
    s.hotPlug().pressAttentionButton(s.number);
    return state(s);
  }

  SlotState setMrl(SetMrlRequest request) {
    Slot s = slot(request.getSlot());
    authorize(s, (request.getOpen() ? "open" : "close") + " the latch of");
    if (request.getOpen()) {
      s.hotPlug().openMrl(s.number);
    } else {
      s.hotPlug().closeMrl(s.number);
    }
    return state(s);
  }

  SlotState injectPowerFault(SlotActionRequest request) {
    Slot s = slot(request.getSlot());
    authorize(s, "inject a power fault into");
    s.hotPlug().powerFault(s.number);
    return state(s);
  }

  // -------------------------------------------------------------------------------------------

  /** A slot that exists: its hierarchy and physical slot number. */
  private record Slot(Hierarchy hierarchy, int number) {
    HotPlug hotPlug() {
      return hierarchy.hotPlug();
    }

    PciFunction port() {
      return hierarchy.slotPort(number);
    }
  }

  /** The slot a reference names: NOT_FOUND for an unknown hierarchy, port or slot. */
  private Slot slot(SlotRef ref) {
    if (!ref.getPort().isEmpty()) {
      PciAddress a = Requests.address("slot.port", ref.getPort());
      Hierarchy h = Requests.bySegment(farm, a.segment());
      PciFunction port = h.lookup(a);
      if (port == null) {
        throw RequestException.notFound("no function answers at " + a + " in hierarchy '"
            + h.name() + "'");
      }
      int n = port.slot() == null ? 0 : Hierarchy.physicalSlot(port);
      if (n == 0) {
        throw RequestException.notFound(a + " provides no hot-plug slot");
      }
      return new Slot(h, n);
    }
    if (ref.getHierarchy().isEmpty()) {
      throw RequestException.invalid("slot", "slot is missing: give slot.hierarchy and"
          + " slot.slot, or slot.port");
    }
    Hierarchy h = farm.get(ref.getHierarchy());
    if (ref.getSlot() == 0) {
      throw RequestException.invalid("slot.slot", "slot.slot is missing: physical slot"
          + " numbers start at 1");
    }
    int n = (int) Math.min(Integer.toUnsignedLong(ref.getSlot()), Integer.MAX_VALUE);
    h.hotPlug().state(n); // NOT_FOUND, listing the slots, when there is no such slot
    return new Slot(h, n);
  }

  /**
   * The caller may act on the slot: every function of its card belongs to a lease of the
   * caller's tenant, or the caller is an administrator and the slot is empty or host-owned.
   */
  private void authorize(Slot s, String action) {
    Caller caller = Caller.current();
    PciFunction port = s.port();
    List<PciFunction> card = port == null ? List.of() : port.secondary().functions();
    String where = "slot " + s.number + " of '" + s.hierarchy.name() + "'";
    if (card.isEmpty()) {
      if (!caller.admin()) {
        throw denied("only an administrator may " + action + " " + where
            + ", which is empty");
      }
      return;
    }
    for (PciFunction f : card) {
      Owner owner = f.owner();
      if (caller.mayModify(owner)) {
        continue;
      }
      if (owner.isHost()) {
        throw denied("the card in " + where + " belongs to the host: only an administrator"
            + " may " + action + " the slot");
      }
      if (owner.isReleased()) {
        throw denied("the card in " + where + " is being reset after lease " + owner.id()
            + " ended: nobody may " + action + " the slot until it is back with the host");
      }
      Lease lease = farm.leases().get(owner.id());
      throw denied("the card in " + where + " is held by lease " + owner.id()
          + (lease != null && !lease.holder().isEmpty() ? " (" + lease.holder() + ")" : "")
          + " of another tenant: only its holder may " + action + " the slot");
    }
  }

  private static RequestException denied(String message) {
    return new RequestException(Status.Code.PERMISSION_DENIED, "", message);
  }

  private static SlotState state(Slot s) {
    return state(s.hierarchy, s.hotPlug().state(s.number));
  }

  static SlotState state(Hierarchy h, io.pciefarm.hotplug.SlotState s) {
    SlotState.Builder b = SlotState.newBuilder()
        .setHierarchy(h.name())
        .setSlot(s.slot())
        .setPort(s.port())
        .setCardPresent(s.present())
        .setMrlOpen(s.mrlOpen())
        .setPowered(s.powered())
        .setLinkActive(s.linkUp())
        .setAttentionIndicator(indicator(s.attention()))
        .setPowerIndicator(indicator(s.power()))
        .setSlotControl(s.slotControl())
        .setSlotStatus(s.slotStatus())
        .setModel(s.model())
        .setInterlockEngaged(s.interlockEngaged());
    PciFunction port = h.slotPort(s.slot());
    if (port != null) {
      int exp = port.model().layout().capability(CapabilityId.EXP);
      int caps = port.config().read(exp + PciExpress.SLOT_CAPABILITIES, 4);
      b.setCapabilities(SlotCapabilities.newBuilder()
          .setAttentionButton((caps & PciExpress.SLTCAP_ABP) != 0)
          .setPowerController((caps & PciExpress.SLTCAP_PCP) != 0)
          .setMrlSensor((caps & PciExpress.SLTCAP_MRLSP) != 0)
          .setAttentionIndicator((caps & PciExpress.SLTCAP_AIP) != 0)
          .setPowerIndicator((caps & PciExpress.SLTCAP_PIP) != 0)
          .setHotPlugSurprise((caps & PciExpress.SLTCAP_HPS) != 0)
          .setHotPlugCapable((caps & PciExpress.SLTCAP_HPC) != 0)
          .setNoCommandCompleted((caps & PciExpress.SLTCAP_NCCS) != 0));
    }
    return b.build();
  }

  private static Indicator indicator(io.pciefarm.hotplug.Indicator i) {
    return switch (i) {
      case ON -> Indicator.INDICATOR_ON;
      case BLINK -> Indicator.INDICATOR_BLINK;
      case OFF -> Indicator.INDICATOR_OFF;
      case RESERVED -> Indicator.INDICATOR_RESERVED;
    };
  }
}
