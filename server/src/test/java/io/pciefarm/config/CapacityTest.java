package io.pciefarm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.spec.Header;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import org.junit.jupiter.api.Test;

/**
 * The capacity target: one million idle functions of a realistic 4096-byte model held at once in
 * the 2 GiB surefire heap. Asserted on memory, never on time: after a full GC, the heap the
 * instances hold is measured and bounded per instance.
 */
class CapacityTest {
  static final int FUNCTIONS = 1_000_000;

  private static long usedAfterGc() {
    MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    // A few rounds: the smallest reading is the one with the least floating garbage.
    for (int i = 0; i < 4; i++) {
      System.gc();
      used = Math.min(used, mem.getHeapMemoryUsage().getUsed());
    }
    return used;
  }

  private static String heap() {
    return "max heap " + (Runtime.getRuntime().maxMemory() >> 20) + " MiB";
  }

  @Test
  void aMillionIdleFunctionsFitInTheHeap() {
    ConfigLayout layout = TestLayouts.endpoint();
    long before = usedAfterGc();
    ConfigSpace[] functions = new ConfigSpace[FUNCTIONS];
    for (int i = 0; i < FUNCTIONS; i++) {
      functions[i] = new ConfigSpace(layout);
    }
    long after = usedAfterGc();
    double perFunction = (double) (after - before) / FUNCTIONS;
    System.out.printf("%d idle functions: %.1f bytes each, %d MiB in all (%s)%n", FUNCTIONS,
        perFunction, (after - before) >> 20, heap());
    // An object and a slot in the array; a copy of even the 16-entry chunk table (80 bytes)
    // per instance would break this bound.
    assertTrue(perFunction < 96, String.format("%.1f bytes per idle function", perFunction));
    // They are all there, all idle and all working.
    int sample = 0;
    for (int i = 0; i < FUNCTIONS; i += 9973) {
      assertEquals(0x10D38086, functions[i].read(0, 4));
      assertEquals(0, functions[i].privateChunks());
      sample++;
    }
    assertEquals(101, sample);
    assertEquals(0x10D38086, functions[FUNCTIONS - 1].read(0, 4));
  }

  @Test
  void aMillionEnumeratedFunctionsFitToo() {
    // Firmware has assigned BARs and enabled decode: the header chunk is private, the
    // extended space still shared.
    ConfigLayout layout = TestLayouts.endpoint();
    long before = usedAfterGc();
    ConfigSpace[] functions = new ConfigSpace[FUNCTIONS];
    for (int i = 0; i < FUNCTIONS; i++) {
      ConfigSpace f = new ConfigSpace(layout);
      f.write(0x18, 4, 0xE0000000 + (i << 20));
      f.write(Header.COMMAND, 2, Header.COMMAND_MEMORY | Header.COMMAND_MASTER);
      functions[i] = f;
    }
    long after = usedAfterGc();
    double perFunction = (double) (after - before) / FUNCTIONS;
    System.out.printf("%d enumerated functions: %.1f bytes each, %d MiB in all (%s)%n",
        FUNCTIONS, perFunction, (after - before) >> 20, heap());
    // Object, chunk table and one 256-byte chunk: a few hundred bytes, not 4 KiB.
    assertTrue(perFunction < 512, String.format("%.1f bytes per enumerated function",
        perFunction));
    for (int i = 0; i < FUNCTIONS; i += 9973) {
      assertEquals(1, functions[i].privateChunks());
      assertEquals(0xE0000000 + (i << 20) & 0xFFF00000, functions[i].read(0x18, 4));
      assertEquals(6, functions[i].read(Header.COMMAND, 2));
    }
  }
}
