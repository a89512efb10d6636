package io.pciefarm.bench.load;

import io.grpc.ManagedChannel;
import io.pciefarm.proto.v1.FarmServiceGrpc;
import io.pciefarm.proto.v1.FunctionInfo;
import io.pciefarm.proto.v1.GetTopologyRequest;
import io.pciefarm.proto.v1.HierarchyInfo;
import io.pciefarm.proto.v1.ResetMethod;
import io.pciefarm.proto.v1.TopologySnapshot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * What there is to drive, learnt from GetTopology, so the same scenarios run against the
 * generated farm and against any external server: per hierarchy, functions to read, drives to
 * FLR, buses to reset, occupied slots to reset and empty slots to churn.
 */
public final class FarmMap {
  /** A hierarchy's targets. */
  public record Hier(String name, int segment, List<Integer> packed, List<String> addresses,
      List<String> flr, List<Integer> buses, List<Integer> slots, List<Slot> emptySlots) {}

  /**
   * An empty hot-plug slot: the port providing it, and where a card in it answers (device 0 of
   * the port's secondary bus).
   */
  public record Slot(String hierarchy, int segment, int number, String port, int packedPort,
      int secondaryBus) {
    public String cardAddress() {
      return String.format("%04x:%02x:00.0", segment, secondaryBus);
    }
  }

  private final List<Hier> hierarchies;
  private final TopologySnapshot snapshot;

  private FarmMap(List<Hier> hierarchies, TopologySnapshot snapshot) {
    this.hierarchies = hierarchies;
    this.snapshot = snapshot;
  }

  public static FarmMap discover(ManagedChannel channel) {
    TopologySnapshot t = FarmServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(120, TimeUnit.SECONDS)
        .withMaxInboundMessageSize(512 << 20)
        .getTopology(GetTopologyRequest.getDefaultInstance());
    return of(t);
  }

  static FarmMap of(TopologySnapshot t) {
    Map<String, List<FunctionInfo>> byHier = new HashMap<>();
    for (FunctionInfo f : t.getFunctionsList()) {
      byHier.computeIfAbsent(f.getHierarchy(), k -> new ArrayList<>()).add(f);
    }
    List<Hier> out = new ArrayList<>();
    for (HierarchyInfo h : t.getHierarchiesList()) {
      List<FunctionInfo> fs = byHier.getOrDefault(h.getName(), List.of());
      Set<String> parents = new HashSet<>();
      for (FunctionInfo f : fs) {
        if (f.getReachable() && !f.getUpstream().isEmpty()) {
          parents.add(f.getUpstream());
        }
      }
      List<Integer> packed = new ArrayList<>();
      List<String> addresses = new ArrayList<>();
      List<String> flr = new ArrayList<>();
      List<Integer> buses = new ArrayList<>();
      List<Integer> slots = new ArrayList<>();
      List<Slot> empty = new ArrayList<>();
      for (FunctionInfo f : fs) {
        if (!f.getReachable()) {
          continue;
        }
        packed.add(f.getPackedAddress());
        addresses.add(f.getAddress());
        if (!f.getBridge() && !f.getHost()
            && f.getResetMethodsList().contains(ResetMethod.RESET_METHOD_FLR)) {
          flr.add(f.getAddress());
        }
        if (f.getBridge() && parents.contains(f.getAddress()) && !f.getHost()) {
          buses.add(f.getSecondaryBus());
          if (f.getSlot() != 0) {
            slots.add(f.getSlot());
          }
        }
        if (f.getBridge() && f.getSlot() != 0 && !parents.contains(f.getAddress())) {
          empty.add(new Slot(h.getName(), h.getSegment(), f.getSlot(), f.getAddress(),
              f.getPackedAddress(), f.getSecondaryBus()));
        }
      }
      out.add(new Hier(h.getName(), h.getSegment(), packed, addresses, flr, buses, slots,
          empty));
    }
    return new FarmMap(out, t);
  }

  public List<Hier> hierarchies() {
    return hierarchies;
  }

  public TopologySnapshot snapshot() {
    return snapshot;
  }

  public int functions() {
    return hierarchies.stream().mapToInt(h -> h.packed().size()).sum();
  }

  public List<Slot> emptySlots() {
    List<Slot> out = new ArrayList<>();
    hierarchies.forEach(h -> out.addAll(h.emptySlots()));
    return out;
  }
}
