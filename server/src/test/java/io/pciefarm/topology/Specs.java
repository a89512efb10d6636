package io.pciefarm.topology;

import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.proto.v1.HierarchySpec;

/** Test helpers: hierarchies from JSON text, as users write them. */
final class Specs {
  private Specs() {}

  static HierarchySpec spec(String json) {
    return TopologyFiles.parse(json, "test");
  }

  static Hierarchy build(String json) {
    return HierarchyBuilder.build(spec(json));
  }

  static int vendorAt(Hierarchy h, int bus, int dev, int fn) {
    return h.read(bus, dev, fn, 0, 2);
  }
}
