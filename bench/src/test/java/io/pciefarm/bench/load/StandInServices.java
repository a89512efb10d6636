package io.pciefarm.bench.load;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.pciefarm.farm.Farm;
import io.pciefarm.grpc.Statuses;
import io.pciefarm.ownership.Owner;
import io.pciefarm.proto.v1.HotPlugServiceGrpc;
import io.pciefarm.proto.v1.InsertRequest;
import io.pciefarm.proto.v1.ListSlotsRequest;
import io.pciefarm.proto.v1.ListSlotsResponse;
import io.pciefarm.proto.v1.ResetRequest;
import io.pciefarm.proto.v1.ResetResponse;
import io.pciefarm.proto.v1.ResetServiceGrpc;
import io.pciefarm.proto.v1.SlotActionRequest;
import io.pciefarm.proto.v1.SlotRef;
import io.pciefarm.proto.v1.SlotState;
import io.pciefarm.reset.ResetMethod;
import io.pciefarm.reset.ResetTarget;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * Test stand-ins for ResetService and HotPlugService (implemented on another branch), directly
 * on the engine's request APIs ({@code Hierarchy.resets()}, {@code Hierarchy.hotPlug()}), so
 * the load generator's scenarios can be exercised before the real services are on main. Only
 * what the scenarios call; statuses through the server's own {@link Statuses}.
 */
final class StandInServices implements AutoCloseable {
  private final Server server;

  StandInServices(Farm farm) throws IOException {
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .directExecutor()
        .addService(new Resets(farm))
        .addService(new HotPlug(farm))
        .build().start();
  }

  String address() {
    return "127.0.0.1:" + server.getPort();
  }

  @Override
  public void close() {
    server.shutdownNow();
  }

  private static final class Resets extends ResetServiceGrpc.ResetServiceImplBase {
    private final Farm farm;

    Resets(Farm farm) {
      this.farm = farm;
    }

    @Override
    public void reset(ResetRequest r, StreamObserver<ResetResponse> out) {
      try {
        Hierarchy h;
        ResetTarget target;
        switch (r.getTarget().getKind()) {
          case RESET_TARGET_KIND_FUNCTION -> {
            PciAddress a = PciAddress.parse(r.getTarget().getAddress());
            h = farm.bySegment(a.segment());
            target = new ResetTarget.Function(a);
          }
          case RESET_TARGET_KIND_BUS -> {
            h = farm.get(r.getTarget().getHierarchy());
            target = new ResetTarget.Bus(r.getTarget().getBus());
          }
          case RESET_TARGET_KIND_SLOT -> {
            h = farm.get(r.getTarget().getHierarchy());
            target = new ResetTarget.Slot(r.getTarget().getSlot());
          }
          default -> throw new IllegalArgumentException("target kind " + r.getTarget().getKind());
        }
        Set<ResetMethod> methods = EnumSet.noneOf(ResetMethod.class);
        r.getMethodsList().forEach(m -> methods.add(ResetMethod.valueOf(
            m.name().substring("RESET_METHOD_".length()))));
        io.pciefarm.reset.ResetRequest req = new io.pciefarm.reset.ResetRequest(target, methods,
            r.getMode() == io.pciefarm.proto.v1.ResetMode.RESET_MODE_TRY
                ? io.pciefarm.reset.ResetRequest.Mode.TRY
                : io.pciefarm.reset.ResetRequest.Mode.WAIT,
            Duration.ofSeconds(30), r.getSaveRestore(), Owner.HOST);
        h.resets().reset(req).whenComplete((result, failure) -> {
          if (failure != null) {
            out.onError(Statuses.toStatus(failure instanceof java.util.concurrent
                .CompletionException c ? c.getCause() : failure));
          } else {
            out.onNext(ResetResponse.newBuilder().build());
            out.onCompleted();
          }
        });
      } catch (RuntimeException e) {
        out.onError(Statuses.toStatus(e));
      }
    }
  }

  private static final class HotPlug extends HotPlugServiceGrpc.HotPlugServiceImplBase {
    private final Farm farm;

    HotPlug(Farm farm) {
      this.farm = farm;
    }

    private SlotState state(Hierarchy h, int slot) {
      var s = h.hotPlug().state(slot);
      return SlotState.newBuilder().setHierarchy(h.name()).setSlot(s.slot()).setPort(s.port())
          .setCardPresent(s.present()).setPowered(s.powered()).setLinkActive(s.linkUp())
          .setMrlOpen(s.mrlOpen()).setModel(s.model()).build();
    }

    private void act(SlotRef ref, Runnable action, StreamObserver<SlotState> out) {
      try {
        Hierarchy h = farm.get(ref.getHierarchy());
        action.run();
        out.onNext(state(h, ref.getSlot()));
        out.onCompleted();
      } catch (RuntimeException e) {
        out.onError(Statuses.toStatus(e));
      }
    }

    @Override
    public void insert(InsertRequest r, StreamObserver<SlotState> out) {
      act(r.getSlot(), () -> farm.get(r.getSlot().getHierarchy()).hotPlug()
          .insert(r.getSlot().getSlot(), r.getModel(), r.getLabel()), out);
    }

    @Override
    public void remove(SlotActionRequest r, StreamObserver<SlotState> out) {
      act(r.getSlot(), () -> farm.get(r.getSlot().getHierarchy()).hotPlug()
          .remove(r.getSlot().getSlot()), out);
    }

    @Override
    public void listSlots(ListSlotsRequest r, StreamObserver<ListSlotsResponse> out) {
      ListSlotsResponse.Builder b = ListSlotsResponse.newBuilder();
      for (Hierarchy h : farm.list()) {
        for (var s : h.hotPlug().slots()) {
          b.addSlots(state(h, s.slot()));
        }
      }
      out.onNext(b.build());
      out.onCompleted();
    }
  }
}
