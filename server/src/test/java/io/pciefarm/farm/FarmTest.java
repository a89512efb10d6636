package io.pciefarm.farm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.device.Catalog;
import io.pciefarm.device.DeviceModel;
import io.pciefarm.proto.v1.HierarchySpec;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciFunction;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class FarmTest {
  private static HierarchySpec spec(String name, int segment) {
    return TopologyFiles.parse("""
        {"name":"%s","segment":%d,"devices":[
          {"device":1,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd"}]}]}"""
        .formatted(name, segment), "test");
  }

  @Test
  void createLookupDelete() {
    Farm farm = new Farm();
    Hierarchy a = farm.create(spec("a", 3));
    assertSame(a, farm.get("a"));
    assertSame(a, farm.bySegment(3));
    assertNull(farm.bySegment(4));
    assertNull(farm.bySegment(-1));
    assertNull(farm.bySegment(0x10000));
    assertSame(a, farm.delete("a"));
    assertNull(farm.bySegment(3));
    FarmException e = assertThrows(FarmException.class, () -> farm.get("a"));
    assertEquals(FarmException.Kind.NOT_FOUND, e.kind());
    assertTrue(e.getMessage().contains("the farm is empty"), e.getMessage());
  }

  @Test
  void nameAndSegmentAreUnique() {
    Farm farm = new Farm();
    farm.create(spec("a", 3));
    FarmException sameName = assertThrows(FarmException.class, () -> farm.create(spec("a", 4)));
    assertEquals(FarmException.Kind.ALREADY_EXISTS, sameName.kind());
    FarmException sameSegment = assertThrows(FarmException.class, () -> farm.create(spec("b", 3)));
    assertEquals(FarmException.Kind.ALREADY_EXISTS, sameSegment.kind());
    assertTrue(sameSegment.getMessage().contains("'a'"), sameSegment.getMessage());
    assertEquals(1, farm.size());
    assertThrows(FarmException.class, () -> farm.get("b"), "the failed create left nothing behind");
  }

  /** A delay is the model's delay times the farm's scale times the hierarchy's. */
  @Test
  void farmAndHierarchyTimeScalesMultiply() {
    io.pciefarm.time.ManualClock clock = new io.pciefarm.time.ManualClock();
    Farm farm = new Farm(new io.pciefarm.time.TimeBase(clock, 2.0));
    Hierarchy h = farm.create(TopologyFiles.parse("""
        {"name":"slow","timeScale":0.5,"devices":[
          {"device":1,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd"}]}]}""",
        "test"));
    assertEquals(100_000_000L, h.scaledNanos(java.time.Duration.ofMillis(100)));
    farm.timeBase().scale(0);
    assertEquals(0L, h.scaledNanos(java.time.Duration.ofMillis(100)));
    assertThrows(IllegalArgumentException.class, () -> farm.timeBase().scale(-1));
    assertThrows(IllegalArgumentException.class, () -> h.timeScale(Double.NaN));
  }

  @Test
  void unknownNameListsTheKnownOnes() {
    Farm farm = new Farm();
    farm.create(spec("alpha", 1));
    FarmException e = assertThrows(FarmException.class, () -> farm.delete("beta"));
    assertTrue(e.getMessage().contains("alpha"), e.getMessage());
  }

  @Test
  void defaultFarmHostsEveryExampleAndCoversTheCatalog() {
    Farm farm = TopologyFiles.defaultFarm();
    assertEquals(TopologyFiles.EXAMPLES.size(), farm.size());
    Set<String> used = farm.list().stream().flatMap(h -> h.functions().stream())
        .map(PciFunction::deviceModel).map(DeviceModel::name)
        .collect(Collectors.toCollection(TreeSet::new));
    Set<String> all = Catalog.all().stream().map(DeviceModel::name)
        .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(all, used);
  }

  /** Creating and deleting hierarchies never disturbs config traffic to another one. */
  @Test
  void churnLeavesOtherHierarchiesAlone() throws Exception {
    Farm farm = new Farm();
    Hierarchy steady = farm.create(spec("steady", 0));
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<Long> reader = pool.submit(() -> {
        long reads = 0;
        while (!stop.get()) {
          Hierarchy h = farm.bySegment(0);
          assertSame(steady, h);
          assertEquals(0x144d, h.read(1, 0, 0, 0, 2));
          reads++;
        }
        return reads;
      });
      Future<?> churn = pool.submit(() -> {
        for (int i = 0; i < 300; i++) {
          int segment = 1 + i % 7;
          farm.create(spec("churn-" + i, segment));
          assertEquals(0x144d, farm.bySegment(segment).read(1, 0, 0, 0, 2));
          farm.delete("churn-" + i);
        }
        return null;
      });
      churn.get(60, TimeUnit.SECONDS);
      stop.set(true);
      assertTrue(reader.get(10, TimeUnit.SECONDS) > 0);
      assertEquals(1, farm.size());
    } finally {
      stop.set(true);
      pool.shutdownNow();
    }
  }
}
