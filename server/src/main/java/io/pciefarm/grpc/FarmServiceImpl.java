package io.pciefarm.grpc;

import io.grpc.Context;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.pciefarm.farm.Farm;
import io.pciefarm.ownership.Lease;
import io.pciefarm.proto.v1.CreateHierarchyRequest;
import io.pciefarm.proto.v1.DeleteHierarchyRequest;
import io.pciefarm.proto.v1.DeleteHierarchyResponse;
import io.pciefarm.proto.v1.FarmServiceGrpc;
import io.pciefarm.proto.v1.GetHierarchyRequest;
import io.pciefarm.proto.v1.GetServerInfoRequest;
import io.pciefarm.proto.v1.GetTopologyRequest;
import io.pciefarm.proto.v1.HierarchyInfo;
import io.pciefarm.proto.v1.HierarchySpec;
import io.pciefarm.proto.v1.ListHierarchiesRequest;
import io.pciefarm.proto.v1.ListHierarchiesResponse;
import io.pciefarm.proto.v1.ServerInfo;
import io.pciefarm.proto.v1.TopologySnapshot;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciFunction;
import io.pciefarm.topology.TopologyTree;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Farm management. Every call but GetServerInfo runs on the farm worker pool, never on an event
 * loop: building a hierarchy or computing its isolation groups can take a while. A full pool queue answers
 * RESOURCE_EXHAUSTED at once instead of queueing without bound.
 */
final class FarmServiceImpl extends FarmServiceGrpc.FarmServiceImplBase {
  private final Farm farm;
  private final Executor workers;
  /** The spec each hierarchy was created from, where the server knows it. */
  private final Map<Hierarchy, HierarchySpec> specs;
  /** The tenant that created each hierarchy over gRPC (it may delete it). */
  private final Map<Hierarchy, String> creators = new ConcurrentHashMap<>();

  private final ServerInfo info;

  FarmServiceImpl(Farm farm, Executor workers, Map<Hierarchy, HierarchySpec> specs,
      ServerInfo info) {
    this.farm = farm;
    this.workers = workers;
    this.specs = specs;
    this.info = info;
  }

  /** Answered on the event loop: a constant, and who the caller is. */
  @Override
  public void getServerInfo(GetServerInfoRequest request, StreamObserver<ServerInfo> out) {
    Caller caller = Caller.current();
    out.onNext(info.toBuilder().setCallerTenant(caller.tenant()).setCallerAdmin(caller.admin())
        .build());
    out.onCompleted();
  }

  static Map<Hierarchy, HierarchySpec> newSpecRegistry() {
    return new ConcurrentHashMap<>();
  }

  @Override
  public void createHierarchy(CreateHierarchyRequest request, StreamObserver<HierarchyInfo> out) {
    offload(out, () -> {
      if (!request.hasSpec()) {
        throw RequestException.invalid("spec", "spec is missing: give the HierarchySpec to build");
      }
      HierarchySpec spec = request.getSpec();
      Hierarchy h = farm.create(spec);
      specs.put(h, spec);
      creators.put(h, Caller.current().tenant());
      return FunctionInfos.hierarchy(h, spec);
    });
  }

  @Override
  public void deleteHierarchy(DeleteHierarchyRequest request,
      StreamObserver<DeleteHierarchyResponse> out) {
    offload(out, () -> {
      Hierarchy h = farm.get(Requests.name("name", request.getName()));
      Caller caller = Caller.current();
      if (!caller.admin() && !caller.tenant().equals(creators.get(h))) {
        throw new RequestException(Status.Code.PERMISSION_DENIED, "", "only an administrator"
            + " or the tenant that created hierarchy '" + h.name() + "' may delete it, not '"
            + caller.tenant() + "'");
      }
      List<Lease> held = farm.leases().list(h);
      if (!held.isEmpty() && !request.getForce()) {
        List<String> leased = new ArrayList<>();
        for (Lease l : held) {
          for (PciFunction f : l.functions()) {
            leased.add(f.describe() + " (" + l.owner() + ", holder " + l.holder() + ")");
          }
        }
        throw Statuses.precondition("hierarchy '" + h.name() + "' has " + held.size()
            + " lease" + (held.size() == 1 ? "" : "s") + " held on it: release "
            + (held.size() == 1 ? "it" : "them") + " first, or delete with force", "OWNERSHIP",
            leased);
      }
      if (!farm.delete(h)) {
        throw RequestException.notFound("hierarchy '" + h.name() + "' was deleted meanwhile");
      }
      creators.remove(h);
      HierarchySpec spec = specs.remove(h);
      return DeleteHierarchyResponse.newBuilder()
          .setDeleted(FunctionInfos.hierarchy(h, spec)).build();
    });
  }

  @Override
  public void listHierarchies(ListHierarchiesRequest request,
      StreamObserver<ListHierarchiesResponse> out) {
    offload(out, () -> {
      ListHierarchiesResponse.Builder b = ListHierarchiesResponse.newBuilder();
      for (Hierarchy h : farm.list()) {
        b.addHierarchies(FunctionInfos.hierarchy(h, null));
      }
      return b.build();
    });
  }

  @Override
  public void getHierarchy(GetHierarchyRequest request, StreamObserver<HierarchyInfo> out) {
    offload(out, () -> {
      Hierarchy h = farm.get(Requests.name("name", request.getName()));
      return FunctionInfos.hierarchy(h, specs.get(h));
    });
  }

  @Override
  public void getTopology(GetTopologyRequest request, StreamObserver<TopologySnapshot> out) {
    offload(out, () -> {
      List<Hierarchy> hierarchies = request.getHierarchy().isEmpty() ? farm.list()
          : List.of(farm.get(request.getHierarchy()));
      TopologySnapshot.Builder b = TopologySnapshot.newBuilder();
      for (Hierarchy h : hierarchies) {
        b.addHierarchies(FunctionInfos.hierarchy(h, null));
        b.addAllFunctions(FunctionInfos.functions(h));
      }
      b.setTree(TopologyTree.render(hierarchies));
      return b.build();
    });
  }

  /**
   * Runs {@code work} on the worker pool in the caller's gRPC context and answers with its
   * result or its status. A call already cancelled (deadline passed while queued) is skipped.
   */
  private <T> void offload(StreamObserver<T> out, Supplier<T> work) {
    Context context = Context.current();
    Runnable task = () -> {
      if (context.isCancelled()) {
        out.onError(Status.CANCELLED.withDescription("cancelled before the server got to it")
            .asRuntimeException());
        return;
      }
      T result;
      try {
        result = work.get();
      } catch (RuntimeException e) {
        out.onError(Statuses.toStatus(e));
        return;
      }
      out.onNext(result);
      out.onCompleted();
    };
    try {
      workers.execute(context.wrap(task));
    } catch (RuntimeException e) {
      out.onError(Statuses.toStatus(e));
    }
  }
}
