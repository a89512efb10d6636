package io.pciefarm.reset;

import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.ownership.Owner;
import io.pciefarm.time.ManualClock;
import io.pciefarm.time.TimeBase;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.HierarchyBuilder;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.time.Duration;
import java.util.Set;

/** A hierarchy on a manual clock at real-time scale, and request helpers. */
final class ResetFixture {
  final ManualClock clock = new ManualClock();
  final Hierarchy h;

  ResetFixture(String json) {
    h = HierarchyBuilder.build(TopologyFiles.parse(json, "test"), new TimeBase(clock, 1.0));
  }

  PciFunction at(String address) {
    return h.lookup(PciAddress.parse(address));
  }

  void advance(long millis) {
    clock.advance(Duration.ofMillis(millis));
  }

  static ResetRequest request(ResetTarget target, String methods) {
    return new ResetRequest(target, MethodSet.parse(methods), ResetRequest.Mode.WAIT, null,
        false, Owner.HOST);
  }

  static ResetTarget fn(String address) {
    return new ResetTarget.Function(PciAddress.parse(address));
  }

  static Set<ResetMethod> set(ResetMethod... m) {
    return Set.of(m);
  }
}
