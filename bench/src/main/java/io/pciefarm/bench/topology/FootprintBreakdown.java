package io.pciefarm.bench.topology;

import io.pciefarm.config.ConfigLayout;
import io.pciefarm.config.ConfigSpace;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciFunction;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Where a hierarchy's config-space bytes go, per model: the copy-on-write arrays each function
 * holds privately instead of sharing them with its model's layout. Reads {@link ConfigSpace}'s
 * private fields by reflection (measurement only; nothing is changed): the live top array and
 * reset-image top array (16 references, 80 bytes each when private) and the 256-byte chunks
 * (272 bytes each as an {@code int[64]}) of either that are not the layout's defaults.
 */
final class FootprintBreakdown {
  /** Bytes of an {@code int[64]} and of an {@code int[16][]} with compressed oops. */
  static final int CHUNK_BYTES = 16 + 64 * 4;
  static final int TOP_BYTES = 16 + 16 * 4;

  private FootprintBreakdown() {}

  /** Per model: functions, private tops and chunks (live, reset image), bytes per function. */
  static void print(Hierarchy h) throws ReflectiveOperationException {
    Field live = ConfigSpace.class.getDeclaredField("live");
    Field image = ConfigSpace.class.getDeclaredField("resetImage");
    Method defaults = ConfigLayout.class.getDeclaredMethod("defaultChunks");
    live.setAccessible(true);
    image.setAccessible(true);
    defaults.setAccessible(true);
    Map<String, long[]> byModel = new TreeMap<>();
    long[] total = new long[6];
    for (PciFunction f : h.functions()) {
      ConfigSpace cs = f.config();
      int[][] d = (int[][]) defaults.invoke(cs.layout());
      int[][] l = (int[][]) live.get(cs);
      int[][] r = (int[][]) image.get(cs);
      Set<int[]> shared = Collections.newSetFromMap(new IdentityHashMap<>());
      Collections.addAll(shared, d);
      Set<int[]> liveOwn = Collections.newSetFromMap(new IdentityHashMap<>());
      Set<int[]> imageOwn = Collections.newSetFromMap(new IdentityHashMap<>());
      for (int[] c : r) {
        if (!shared.contains(c)) {
          imageOwn.add(c);
        }
      }
      for (int[] c : l) {
        if (!shared.contains(c) && !imageOwn.contains(c)) {
          liveOwn.add(c);
        }
      }
      long[] row = {1, r != d ? 1 : 0, l != r && l != d ? 1 : 0, imageOwn.size(), liveOwn.size(),
          0};
      row[5] = (row[1] + row[2]) * TOP_BYTES + (row[3] + row[4]) * CHUNK_BYTES;
      String key = f.deviceModel().name() + (f.deviceModel().isMultiFunction()
          ? "." + f.functionNumber() : "");
      byModel.merge(key, row, FootprintBreakdown::add);
      add(total, row);
    }
    System.out.println();
    System.out.printf(Locale.ROOT, "config-space copy-on-write footprint of %s, per function"
        + " (top array %d B, chunk %d B):%n", h.name(), TOP_BYTES, CHUNK_BYTES);
    System.out.println("| model | functions | private reset-image top | private live top"
        + " | reset-image chunks | live chunks | bytes/function |");
    System.out.println("|---|---|---|---|---|---|---|");
    byModel.forEach((k, v) -> row(k, v));
    row("**all**", total);
  }

  private static void row(String name, long[] v) {
    double n = v[0];
    System.out.printf(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2f | %.2f | %.0f |%n", name, v[0],
        v[1] / n, v[2] / n, v[3] / n, v[4] / n, v[5] / n);
  }

  private static long[] add(long[] a, long[] b) {
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
    return a;
  }
}
