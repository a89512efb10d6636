package io.pciefarm.topology;

import static io.pciefarm.topology.Specs.build;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pciefarm.export.HierarchyDump;
import io.pciefarm.export.LspciDump.DumpDepth;
import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.spec.Type1;
import io.pciefarm.testing.Lspci;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TopologyTreeTest {

  @Test
  void drawsLikeLspci() {
    Hierarchy h = build("""
        {"name":"h","devices":[
          {"device":1,"model":"root-port-acs","children":[{"device":0,"model":"gpu"}]},
          {"device":2,"model":"qat-rciep"},
          {"device":3,"model":"root-port-acs","children":[
            {"device":0,"model":"switch-upstream-port","children":[
              {"device":0,"model":"switch-downstream-port","children":[{"device":0,"model":"nvme-ssd"}]},
              {"device":1,"model":"switch-downstream-port-hotplug"}]}]}]}""");
    assertEquals("""
        -[0000:00]-+-01.0-[01]--+-00.0
                   |            \\-00.1
                   +-02.0
                   \\-03.0-[02-05]----00.0-[03-05]--+-00.0-[04]----00.0
                                                   \\-01.0-[05]--
        """, TopologyTree.render(h));
  }

  @Test
  void unprogrammedBridgesDrawEmpty() {
    Hierarchy h = build("""
        {"name":"h","unprogrammed":true,"devices":[
          {"device":1,"model":"root-port","children":[{"device":0,"model":"nvme-ssd"}]}]}""");
    assertEquals("-[0000:00]---01.0-[00]--\n", TopologyTree.render(h));
  }

  static java.util.List<String> examples() {
    return TopologyFiles.EXAMPLES;
  }

  /** The real lspci, reading a dump of the hierarchy, draws exactly our tree. */
  @ParameterizedTest
  @MethodSource("examples")
  void lspciDrawsTheSameTreeFromTheDump(String example) {
    Lspci.assumeInstalled();
    Hierarchy h = HierarchyBuilder.build(TopologyFiles.example(example));
    String dump = HierarchyDump.format(h, DumpDepth.FULL);
    assertEquals(Lspci.decode(dump, "-t"), TopologyTree.render(h));
  }

  /** A farm of several segments is drawn as lspci draws a multi-domain machine. */
  @Test
  void lspciDrawsTheWholeFarm() {
    Lspci.assumeInstalled();
    java.util.List<Hierarchy> farm = TopologyFiles.defaultFarm().list();
    StringBuilder dump = new StringBuilder();
    for (Hierarchy h : farm) {
      dump.append(HierarchyDump.format(h, DumpDepth.FULL));
    }
    String tree = TopologyTree.render(farm);
    assertEquals(Lspci.decode(dump.toString(), "-t"), tree);
    assertEquals(true, tree.startsWith("-+-[0000:00]-+-01.0"), tree);
  }

  @Test
  void aSegmentOtherThanZeroStillShowsLspcisEmptyHostBus() {
    Hierarchy h = build("""
        {"name":"h","segment":5,"devices":[{"device":2,"model":"qat-rciep"}]}""");
    assertEquals("-+-[0000:00]-\n \\-[0005:00]---02.0\n", TopologyTree.render(h));
  }

  @Test
  void lspciAgreesAfterRenumbering() {
    Lspci.assumeInstalled();
    Hierarchy h = HierarchyBuilder.build(TopologyFiles.example("storage-switch.json"));
    // Move the whole switch up to buses 0x20..0x25.
    h.write(0, 1, 0, Type1.SUBORDINATE_BUS, 1, 0x25);
    h.write(0, 1, 0, Type1.SECONDARY_BUS, 1, 0x20);
    h.write(0x20, 0, 0, Type1.PRIMARY_BUS, 4, 0x25 << 16 | 0x21 << 8 | 0x20);
    for (int d = 0; d < 4; d++) {
      h.write(0x21, d, 0, Type1.PRIMARY_BUS, 4, (0x22 + d) << 16 | (0x22 + d) << 8 | 0x21);
    }
    String tree = TopologyTree.render(h);
    assertEquals(Lspci.decode(HierarchyDump.format(h, DumpDepth.FULL), "-t"), tree);
    assertEquals(true, tree.contains("-[20-25]-"), tree);
  }
}
