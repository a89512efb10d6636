package io.pciefarm.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.spec.Type1;
import io.pciefarm.time.ManualClock;
import io.pciefarm.time.TimeBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Routing#compute}'s one-pass walk against the rule it implements, applied literally: for
 * each bus number, start at the root bus and follow the first forwarding bridge (devfn order)
 * whose window {@code 0 < secondary <= N <= subordinate} holds it, until N is some bridge's
 * secondary number. Every example topology, then thousands of random bus-number programmings
 * and Secondary Bus Reset assertions (links drop and retrain), including overlapping and
 * inverted windows. Time scale 0 on a manual clock: links retrain inside the write, so the
 * routing published after each write is final and is compared as it is, not recomputed.
 */
class RoutingDifferentialTest {
  static Stream<Path> examples() throws IOException {
    Path dir = Path.of("..", "examples");
    return Files.list(dir).filter(p -> p.toString().endsWith(".json")).sorted();
  }

  /** The rule, number by number, from the live registers. */
  private static Bus[] reference(Hierarchy h) {
    Bus[] out = new Bus[256];
    out[0] = h.rootBus();
    for (int number = 1; number < 256; number++) {
      Bus current = h.rootBus();
      while (current != null) {
        Bus next = null;
        PciFunction via = null;
        for (PciFunction f : current.functions()) {
          if (!f.isBridge() || !f.forwardsConfigRequests()) {
            continue;
          }
          int sec = f.secondaryBusNumber();
          if (sec > 0 && sec <= number && number <= f.subordinateBusNumber()) {
            next = f.secondary();
            via = f;
            break;
          }
        }
        if (next != null && via.secondaryBusNumber() == number) {
          out[number] = next;
          break;
        }
        current = next;
      }
    }
    return out;
  }

  private static void assertSameRouting(Hierarchy h, String when) {
    Bus[] expected = reference(h);
    for (int n = 0; n < 256; n++) {
      assertSame(expected[n], h.busAt(n), when + ": bus number " + n);
      if (expected[n] != null) {
        assertEquals(n, h.routing().numberOf(expected[n]), when + ": number of bus " + n);
      }
    }
    for (Bus b : h.buses()) {
      int number = h.routing().numberOf(b);
      if (number >= 0) {
        assertSame(b, expected[number], when + ": " + b + " has number " + number);
      }
    }
  }

  @ParameterizedTest
  @MethodSource("examples")
  void agreesWithTheRuleUnderRandomProgramming(Path example) throws IOException {
    Hierarchy h = HierarchyBuilder.build(TopologyFiles.parse(Files.readString(example),
        example.getFileName().toString()), new TimeBase(new ManualClock(), 0.0));
    assertSameRouting(h, "enumerated");
    List<PciFunction> bridges = new ArrayList<>();
    h.functions().stream().filter(PciFunction::isBridge).forEach(bridges::add);
    SplittableRandom rnd = new SplittableRandom(example.hashCode());
    for (int step = 0; step < 2_000 && !bridges.isEmpty(); step++) {
      PciFunction b = bridges.get(rnd.nextInt(bridges.size()));
      switch (rnd.nextInt(4)) {
        case 0, 1 -> {
          // Mostly small numbers, so windows overlap, nest and invert.
          int sec = rnd.nextInt(12);
          int sub = rnd.nextBoolean() ? sec + rnd.nextInt(6) : rnd.nextInt(12);
          b.config().write(Type1.PRIMARY_BUS, 4, (sub & 0xFF) << 16 | sec << 8);
        }
        case 2 -> {
          int bc = b.config().read(Type1.BRIDGE_CONTROL, 2);
          b.config().write(Type1.BRIDGE_CONTROL, 2, bc ^ Type1.BRIDGE_CTL_BUS_RESET);
        }
        default -> b.config().write(Type1.SECONDARY_BUS, 1, rnd.nextInt(256));
      }
      assertSameRouting(h, example.getFileName() + " step " + step);
    }
  }
}
