package io.pciefarm.bench.reset;

import io.pciefarm.topology.Bus;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciFunction;
import java.util.List;

/**
 * A prototype of a cheaper routing recompute, for the fan-out analysis only (the server is not
 * changed): the same table as the server's {@code Routing.compute} (bus number to physical bus,
 * first bridge in devfn order whose live window holds the number, {@code secondary > 0}, not
 * while Secondary Bus Reset is asserted or a port's link is down), computed by one depth-first
 * walk that hands each bridge the set of numbers its window claims (a 256-bit mask) instead of
 * walking down from the root for each of the 255 numbers, and with the bridges of every bus
 * taken from an array built once (as {@code Bus} could keep it, updated when a device is
 * attached or detached) instead of a list and a stream per bus per recompute.
 *
 * <p>{@link #matches} checks it against the server's published routing through the public
 * {@link Hierarchy#busAt}.
 */
final class RoutingPrototype {
  private final Bus root;
  /** Bridges on each bus, by bus index, in devfn order: fixed until a hot-plug. */
  private final PciFunction[][] bridgesOn;

  RoutingPrototype(Hierarchy h) {
    List<Bus> buses = h.buses();
    root = h.rootBus();
    bridgesOn = new PciFunction[buses.size()][];
    for (Bus b : buses) {
      bridgesOn[b.index()] = b.functions().stream().filter(PciFunction::isBridge)
          .toArray(PciFunction[]::new);
    }
  }

  /** The bus each number 0..255 reaches now. */
  Bus[] compute() {
    Bus[] byNumber = new Bus[256];
    byNumber[0] = root;
    long[] all = {-2L, -1L, -1L, -1L}; // numbers 1..255
    walk(root, all, byNumber);
    return byNumber;
  }

  /** {@code numbers} are the type 1 requests that reach {@code bus}; hands them down. */
  private void walk(Bus bus, long[] numbers, Bus[] byNumber) {
    for (PciFunction bridge : bridgesOn[bus.index()]) {
      if (isEmpty(numbers)) {
        return;
      }
      if (!bridge.forwardsConfigRequests()) {
        continue;
      }
      int sec = bridge.secondaryBusNumber();
      int sub = bridge.subordinateBusNumber();
      if (sec <= 0 || sub < sec) {
        continue;
      }
      long[] claimed = new long[4];
      for (int w = 0; w < 4; w++) {
        claimed[w] = numbers[w] & rangeMask(w, sec, sub);
        numbers[w] &= ~claimed[w];
      }
      if (isEmpty(claimed)) {
        continue;
      }
      Bus below = bridge.secondary();
      if ((claimed[sec >>> 6] & 1L << sec) != 0) {
        byNumber[sec] = below;
        claimed[sec >>> 6] &= ~(1L << sec);
      }
      walk(below, claimed, byNumber);
    }
  }

  /** Bits lo..hi of word {@code w} of a 256-bit set. */
  private static long rangeMask(int w, int lo, int hi) {
    int from = Math.max(lo, w << 6);
    int to = Math.min(hi, (w << 6) + 63);
    if (from > to) {
      return 0;
    }
    long upTo = (to & 63) == 63 ? -1L : (1L << ((to & 63) + 1)) - 1;
    return upTo & (-1L << (from & 63));
  }

  private static boolean isEmpty(long[] s) {
    return (s[0] | s[1] | s[2] | s[3]) == 0;
  }

  /** True when the prototype's table equals the routing the server publishes now. */
  boolean matches(Hierarchy h) {
    Bus[] mine = compute();
    for (int n = 0; n < 256; n++) {
      if (mine[n] != h.busAt(n)) {
        return false;
      }
    }
    return true;
  }
}
