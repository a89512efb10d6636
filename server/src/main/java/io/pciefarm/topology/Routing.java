package io.pciefarm.topology;

import java.util.Arrays;
import java.util.List;

/**
 * An immutable snapshot of config-request routing in one hierarchy: which physical bus each bus
 * number reaches, computed from the bridges' live Secondary and Subordinate Bus Number registers
 * the way type 1 configuration requests travel. Bus 0 is the root bus; a request for bus N goes
 * down the first bridge (in devfn order) with {@code secondary <= N <= subordinate}, becomes a
 * type 0 request where {@code N == secondary}, and is forwarded further down otherwise.
 *
 * <p>Published whole through a volatile field, so a lookup is two array loads and never sees a
 * half-updated table.
 */
final class Routing {
  private static final int BUSES = 256;

  private final Bus[] byNumber;
  private final int[] numberOf;

  private Routing(Bus[] byNumber, int[] numberOf) {
    this.byNumber = byNumber;
    this.numberOf = numberOf;
  }

  /** The bus that requests for {@code number} reach, or null. */
  Bus bus(int number) {
    return byNumber[number];
  }

  /** The number that reaches {@code bus} now, or -1 when none does. */
  int numberOf(Bus bus) {
    int i = bus.index();
    return i < numberOf.length ? numberOf[i] : -1;
  }

  /** Computes routing for the buses of a hierarchy from the current register values. */
  static Routing compute(Bus root, List<Bus> buses) {
    // Read every bridge's window once: the walk below visits each bridge up to 255 times.
    int n = buses.size();
    int[] secondary = new int[n];
    int[] subordinate = new int[n];
    PciFunction[][] bridgesOn = new PciFunction[n][];
    for (Bus b : buses) {
      bridgesOn[b.index()] = b.functions().stream().filter(PciFunction::isBridge)
          .toArray(PciFunction[]::new);
      PciFunction bridge = b.bridge();
      if (bridge != null) {
        boolean forwards = bridge.forwardsConfigRequests();
        secondary[b.index()] = forwards ? bridge.secondaryBusNumber() : -1;
        subordinate[b.index()] = forwards ? bridge.subordinateBusNumber() : -2;
      }
    }
    Bus[] byNumber = new Bus[BUSES];
    int[] numberOf = new int[n];
    Arrays.fill(numberOf, -1);
    byNumber[0] = root;
    numberOf[root.index()] = 0;
    for (int number = 1; number < BUSES; number++) {
      Bus current = root;
      while (current != null) {
        Bus next = null;
        for (PciFunction bridge : bridgesOn[current.index()]) {
          Bus below = bridge.secondary();
          int sec = secondary[below.index()];
          if (sec <= number && number <= subordinate[below.index()] && sec > 0) {
            next = below;
            break;
          }
        }
        if (next != null && secondary[next.index()] == number) {
          if (numberOf[next.index()] < 0) {
            byNumber[number] = next;
            numberOf[next.index()] = number;
          }
          break;
        }
        current = next;
      }
    }
    return new Routing(byNumber, numberOf);
  }
}
