package io.pciefarm.topology;

/**
 * An immutable snapshot of config-request routing in one hierarchy: which physical bus each bus
 * number reaches, computed from the bridges' live Secondary and Subordinate Bus Number registers
 * the way type 1 configuration requests travel. Bus 0 is the root bus; a request for bus N goes
 * down the first bridge (in devfn order) with {@code 0 < secondary <= N <= subordinate} that
 * forwards config requests ({@link PciFunction#forwardsConfigRequests}), becomes a type 0
 * request where {@code N == secondary}, and is forwarded further down otherwise.
 *
 * <p>Published whole through a volatile field, so a lookup is two array loads and never sees a
 * half-updated table.
 *
 * <h2>Cost</h2>
 * {@link #compute} is one depth-first walk over the bridges: each bus is handed the set of
 * numbers that reach it (256 bits), and each bridge on it claims from that set the numbers its
 * window holds, in devfn order, so a number claimed by an earlier bridge never reaches a later
 * one. That is O(bridges) and allocates only the snapshot, where walking down from the root
 * once per number was O(256 x depth x bridges per bus): every bus-number write, Secondary Bus
 * Reset, link change and hot-plug pays it.
 */
final class Routing {
  private static final int BUSES = 256;
  private static final int WORDS = BUSES / 64;

  private final Bus[] byNumber;
  private final int[] numberOf;
  /**
   * Per bus, the number that reaches it now or, while none does, the last one that did: what
   * events name a hidden function by (a bus reset hides the subtree it resets).
   */
  private final int[] lastNumberOf;

  private Routing(Bus[] byNumber, int[] numberOf, int[] lastNumberOf) {
    this.byNumber = byNumber;
    this.numberOf = numberOf;
    this.lastNumberOf = lastNumberOf;
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

  /**
   * The number that reaches {@code bus} now, else the last one that reached it in a snapshot
   * this one succeeds ({@link #compute}'s {@code previous}), or -1 when none ever did.
   */
  int lastNumberOf(Bus bus) {
    int i = bus.index();
    return i < lastNumberOf.length ? lastNumberOf[i] : -1;
  }

  /** True when {@code other} routes every bus number to the same bus as this snapshot. */
  boolean sameRoutes(Routing other) {
    return other != null && java.util.Arrays.equals(byNumber, other.byNumber);
  }

  /**
   * Computes routing for a hierarchy's buses from the current register values.
   *
   * @param busCount how many buses the hierarchy has (every {@link Bus#index()} is below it)
   * @param maxDepth the deepest bus's {@link Bus#depth}
   */
  static Routing compute(Bus root, int busCount, int maxDepth) {
    return compute(root, busCount, maxDepth, null);
  }

  /**
   * {@link #compute(Bus, int, int)}, remembering from {@code previous} (the snapshot this one
   * replaces, or null) the last number of each bus that no number reaches now.
   */
  static Routing compute(Bus root, int busCount, int maxDepth, Routing previous) {
    Bus[] byNumber = new Bus[BUSES];
    int[] numberOf = new int[busCount];
    java.util.Arrays.fill(numberOf, -1);
    byNumber[0] = root;
    numberOf[root.index()] = 0;
    // Numbers 1..255 arrive at the root bus; one 4-word set per level of the walk.
    long[] sets = new long[WORDS * (maxDepth + 1)];
    sets[0] = -2L;
    sets[1] = -1L;
    sets[2] = -1L;
    sets[3] = -1L;
    walk(root, sets, 0, byNumber, numberOf);
    int[] last = numberOf;
    if (previous != null) {
      last = numberOf.clone();
      for (int i = 0; i < last.length; i++) {
        if (last[i] < 0 && i < previous.lastNumberOf.length) {
          last[i] = previous.lastNumberOf[i];
        }
      }
    }
    return new Routing(byNumber, numberOf, last);
  }

  /**
   * Hands the numbers in {@code sets[at .. at + 3]} (those that reach {@code bus}) to the bridges
   * on it; the set of a bus at depth d is at {@code 4 d}, and a bridge's secondary bus is one
   * level deeper, so every level the walk reaches has its words.
   */
  private static void walk(Bus bus, long[] sets, int at, Bus[] byNumber, int[] numberOf) {
    int below = at + WORDS;
    for (PciFunction bridge : bus.bridges()) {
      if ((sets[at] | sets[at + 1] | sets[at + 2] | sets[at + 3]) == 0) {
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
      long any = 0;
      for (int w = 0; w < WORDS; w++) {
        long claimed = sets[at + w] & range(w, sec, sub);
        sets[at + w] &= ~claimed;
        sets[below + w] = claimed;
        any |= claimed;
      }
      if (any == 0) {
        continue;
      }
      Bus secondary = bridge.secondary();
      long secBit = 1L << sec;
      if ((sets[below + (sec >>> 6)] & secBit) != 0) {
        byNumber[sec] = secondary;
        numberOf[secondary.index()] = sec;
        sets[below + (sec >>> 6)] &= ~secBit;
      }
      walk(secondary, sets, below, byNumber, numberOf);
    }
  }

  /** The bits of numbers {@code lo..hi} that fall in word {@code w} of a 256-bit set. */
  private static long range(int w, int lo, int hi) {
    int from = Math.max(lo, w << 6);
    int to = Math.min(hi, (w << 6) + 63);
    if (from > to) {
      return 0;
    }
    long upTo = (to & 63) == 63 ? -1L : (1L << ((to & 63) + 1)) - 1;
    return upTo & (-1L << (from & 63));
  }
}
