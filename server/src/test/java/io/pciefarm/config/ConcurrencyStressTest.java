package io.pciefarm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Stress tests with invariants that any lost update, torn value or copy-on-write race breaks.
 * Each is bounded by an iteration cap per thread and by a deadline (a few seconds), runs four
 * threads on the build machine's two cores, and asserts only values, never timings.
 */
class ConcurrencyStressTest {
  /** Byte 0 RW, byte 1 RW1C, bytes 2..3 RW; hooked as one dword. */
  static final int MIXED = 0x40;
  /** All RW: one owner per byte. */
  static final int RW_BYTES = 0x44;
  /** All RW1C: owners toggle their own bits. */
  static final int W1C_TOGGLE = 0x48;
  /** All RW1C: producers set with hardwareUpdate, consumers clear with writes. */
  static final int W1C_HANDOFF = 0x4C;
  /** All RW: written with whole values from a known set. */
  static final int KNOWN = 0x50;
  /** RWS in the low half, RW in the high half. */
  static final int STICKY = 0x60;
  static final int STICKY_DEFAULT = 0x5555AAAA;
  static final int PLAIN = 0x64;
  static final int PLAIN_DEFAULT = 0x11111111;
  /** One RW dword per thread in every chunk, at chunk * 256 + 0x80 + 4 * thread. */
  static final int PER_CHUNK = 0x80;

  static final long MILLIS = 1500;
  static final int THREADS = 4;

  static ConfigLayout layout() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    b.rw(MIXED, 1, 0xFF).rw1c(MIXED + 1, 1, 0xFF).rw(MIXED + 2, 2, 0xFFFF);
    b.hook(Register.LINK_CONTROL, MIXED, 4);
    b.rw(RW_BYTES, 4, -1);
    b.rw1c(W1C_TOGGLE, 4, -1);
    b.rw1c(W1C_HANDOFF, 4, -1);
    b.rw(KNOWN, 4, -1).value(KNOWN, 4, 0x0BADF00D);
    b.rw(STICKY, 4, -1).sticky(STICKY, 4, 0x0000FFFF).value(STICKY, 4, STICKY_DEFAULT);
    b.rw(PLAIN, 4, -1).value(PLAIN, 4, PLAIN_DEFAULT);
    for (int c = 0; c < ConfigLayout.PCIE_SIZE / 256; c++) {
      for (int t = 0; t < THREADS; t++) {
        b.rw(c * 256 + PER_CHUNK + 4 * t, 4, -1);
      }
    }
    return b.build();
  }

  final ConfigLayout layout = layout();

  /** What a write must have done, from the layout's masks alone. */
  private static int apply(ConfigLayout l, int index, int old, int written) {
    int w = l.wmask(index);
    return ((old & ~w) | (written & w)) & ~(written & l.w1cmask(index));
  }

  private void assertLayoutUntouched() {
    ConfigLayout reference = layout();
    ConfigSpace fresh = new ConfigSpace(layout);
    for (int i = 0; i < reference.size() / 4; i++) {
      assertEquals(reference.defaultDword(i), layout.defaultDword(i));
      assertEquals(reference.defaultDword(i), fresh.readDword(i));
    }
  }

  @Test
  void byteAndWordWritersOfOneDwordLoseNothingAndHooksSeeConsistentValues() throws Exception {
    ConfigSpace s = new ConfigSpace(layout);
    AtomicLong hooked = new AtomicLong();
    // The bytes the calling thread's access covers.
    ThreadLocal<Integer> covered = new ThreadLocal<>();
    s.listener((space, reg, oldV, newV, written) -> {
      // old and new come from one compare-and-set: new is exactly the write applied to old.
      int bytes = covered.get();
      int expected = (oldV & ~bytes) | (apply(layout, MIXED >>> 2, oldV, written) & bytes);
      if (newV != expected) {
        throw new AssertionError(String.format("old %08x written %08x new %08x", oldV, written,
            newV));
      }
      hooked.incrementAndGet();
    });
    int[] last = new int[3];
    Race race = new Race(MILLIS);
    race.run(
        i -> {
          SplittableRandom r = new SplittableRandom(1);
          for (int n = 0; race.going(n, 400_000); n++) {
            int v = r.nextInt(256);
            covered.set(0x000000FF);
            s.write(MIXED, 1, v);
            assertEquals(v, s.read(MIXED, 1), "RW byte 0");
            last[0] = v;
          }
        },
        i -> {
          SplittableRandom r = new SplittableRandom(2);
          int expected = 0;
          for (int n = 0; race.going(n, 400_000); n++) {
            int set = r.nextInt(256);
            int clear = r.nextInt(256);
            assertEquals(expected | set, s.hardwareUpdate(MIXED + 1, 1, 0, set));
            expected |= set;
            // A byte write: ones clear, zeros leave set bits alone, the RW neighbours untouched.
            covered.set(0x0000FF00);
            s.write(MIXED + 1, 1, clear);
            expected &= ~clear;
            assertEquals(expected, s.read(MIXED + 1, 1), "RW1C byte 1");
          }
          last[1] = expected;
        },
        i -> {
          SplittableRandom r = new SplittableRandom(3);
          for (int n = 0; race.going(n, 400_000); n++) {
            int v = r.nextInt(65536);
            covered.set(0xFFFF0000);
            s.write(MIXED + 2, 2, v);
            assertEquals(v, s.read(MIXED + 2, 2), "RW word 2");
            last[2] = v;
          }
        },
        i -> {
          // A reader of the whole dword; it can check nothing but its own liveness.
          for (int n = 0; race.going(n, 400_000); n++) {
            s.readDword(MIXED >>> 2);
          }
        });
    assertEquals(last[2] << 16 | last[1] << 8 | last[0], s.read(MIXED, 4));
    assertTrue(hooked.get() > 0);
    assertLayoutUntouched();
  }

  @Test
  void ownersOfTheBytesOfAnRwDwordLoseNoUpdate() throws Exception {
    ConfigSpace s = new ConfigSpace(layout);
    int[] last = new int[THREADS];
    Race race = new Race(MILLIS);
    race.run(THREADS, k -> {
      SplittableRandom r = new SplittableRandom(k);
      for (int n = 0; race.going(n, 500_000); n++) {
        int v = r.nextInt(256);
        s.write(RW_BYTES + k, 1, v);
        int back = s.read(RW_BYTES + k, 1);
        if (back != v) {
          throw new AssertionError("byte " + k + " wrote " + v + " read " + back);
        }
        last[k] = v;
      }
    });
    assertEquals(last[3] << 24 | last[2] << 16 | last[1] << 8 | last[0], s.read(RW_BYTES, 4));
  }

  @Test
  void ownersTogglingTheirOwnRw1cBitsAtEveryWidthLoseNoUpdate() throws Exception {
    ConfigSpace s = new ConfigSpace(layout);
    int[] finals = new int[THREADS];
    Race race = new Race(MILLIS);
    race.run(THREADS, k -> {
      // Thread k owns bits k, k+4, k+8, ...: some in every byte, so every access contends.
      int own = 0x11111111 << k;
      SplittableRandom r = new SplittableRandom(100 + k);
      int expected = 0;
      for (int n = 0; race.going(n, 300_000); n++) {
        int bits = r.nextInt() & own;
        int width = new int[] {1, 2, 4}[r.nextInt(3)];
        int offset = W1C_TOGGLE + r.nextInt(4 / width) * width;
        int shift = (offset & 3) * 8;
        int inAccess = (int) (((1L << (8 * width)) - 1) << shift);
        if (r.nextBoolean()) {
          s.hardwareUpdate(offset, width, 0, (bits & inAccess) >>> shift);
          expected |= bits & inAccess;
        } else {
          s.write(offset, width, (bits & inAccess) >>> shift);
          expected &= ~(bits & inAccess);
        }
        int seen = s.read(W1C_TOGGLE, 4) & own;
        if (seen != expected) {
          throw new AssertionError(String.format("thread %d expected %08x saw %08x", k,
              expected, seen));
        }
      }
      finals[k] = expected;
    });
    assertEquals(finals[0] | finals[1] | finals[2] | finals[3], s.read(W1C_TOGGLE, 4));
  }

  /**
   * Producers set bits with {@code hardwareUpdate}, only while a bit is clear; consumers clear
   * exactly the bits they saw set, by writing ones. Only the producer of a bit sets it and only
   * its consumer clears it, so every set is a 0-to-1 and every clear a 1-to-0 transition: for
   * each bit, sets = clears + (1 if it is set at the end). A set lost to a racing clear (or a
   * clear that wiped a set it never saw) breaks the equation.
   */
  @Test
  void rw1cClearsRacingWithHardwareSetsNeverLoseASet() throws Exception {
    ConfigSpace s = new ConfigSpace(layout);
    int[] producerBits = {0x0F0F0F0F, 0xF0F0F0F0};
    int[] consumerBits = {0x0000FFFF, 0xFFFF0000};
    long[][] sets = new long[2][32];
    long[][] clears = new long[2][32];
    Race race = new Race(MILLIS);
    // Iterations count hand-offs, not spins; a spinning thread checks the deadline itself.
    java.util.concurrent.atomic.AtomicInteger producing = new java.util.concurrent.atomic
        .AtomicInteger(2);
    Race.Worker producer = k -> {
      int own = producerBits[k];
      SplittableRandom r = new SplittableRandom(k);
      for (int n = 0; race.going(n, 50_000); ) {
        int clear = ~s.read(W1C_HANDOFF, 4) & own;
        int set = clear & r.nextInt();
        if (set == 0) {
          if (race.expired()) {
            break;
          }
          Thread.yield();
          continue;
        }
        n++;
        // At every width the access covers: a dword, or the word or byte holding some bits.
        int width = new int[] {1, 2, 4}[r.nextInt(3)];
        int offset = W1C_HANDOFF + (Integer.numberOfTrailingZeros(set) / 8 / width) * width;
        int shift = (offset & 3) * 8;
        int inAccess = (int) (((1L << (8 * width)) - 1) << shift);
        set &= inAccess;
        int after = s.hardwareUpdate(offset, width, 0, set >>> shift) << shift;
        if ((after & set) != set) {
          throw new AssertionError(String.format("set %08x but read %08x", set, after));
        }
        for (int b = 0; b < 32; b++) {
          if ((set & (1 << b)) != 0) {
            sets[k][b]++;
          }
        }
      }
      producing.decrementAndGet();
    };
    Race.Worker consumer = k -> {
      int own = consumerBits[k];
      SplittableRandom r = new SplittableRandom(10 + k);
      while (producing.get() > 0) {
        int mine = s.read(W1C_HANDOFF, 4) & own;
        if (mine == 0) {
          if (race.expired()) {
            break;
          }
          Thread.yield();
          continue;
        }
        int width = new int[] {1, 2, 4}[r.nextInt(3)];
        int offset = W1C_HANDOFF + (Integer.numberOfTrailingZeros(mine) / 8 / width) * width;
        int shift = (offset & 3) * 8;
        int inAccess = (int) (((1L << (8 * width)) - 1) << shift);
        mine &= inAccess;
        s.write(offset, width, mine >>> shift);
        for (int b = 0; b < 32; b++) {
          if ((mine & (1 << b)) != 0) {
            clears[k][b]++;
          }
        }
      }
    };
    race.run(i -> producer.run(0), i -> producer.run(1), i -> consumer.run(0),
        i -> consumer.run(1));
    int end = s.read(W1C_HANDOFF, 4);
    long total = 0;
    for (int b = 0; b < 32; b++) {
      long set = sets[(producerBits[0] & (1 << b)) != 0 ? 0 : 1][b];
      long cleared = clears[(consumerBits[0] & (1 << b)) != 0 ? 0 : 1][b];
      assertEquals(set, cleared + ((end >>> b) & 1), "bit " + b);
      total += set;
    }
    assertTrue(total > 1000, "only " + total + " hand-offs");
  }

  @Test
  void readersNeverSeeAValueNoWriterWrote() throws Exception {
    // No value is all zeros: a write that stored (old & ~wmask) first would be seen.
    int[] values = {0x0BADF00D, 0x0F0F0F0F, 0xFFFFFFFF, 0x12345678, 0x87654321, 0xA5A5A5A5,
        0x5A5A5A5A, 0xFF0110FF, 0x01FFFF10};
    Set<Integer> dwords = new java.util.HashSet<>();
    Set<Integer> words = new java.util.HashSet<>();
    Set<Integer> bytes = new java.util.HashSet<>();
    for (int v : values) {
      dwords.add(v);
      words.add((v & 0xFFFF) << 1);
      words.add((v >>> 16) << 1 | 1);
      for (int b = 0; b < 4; b++) {
        bytes.add(((v >>> (8 * b)) & 0xFF) << 2 | b);
      }
    }
    ConfigSpace s = new ConfigSpace(layout);
    Race race = new Race(MILLIS);
    Race.Worker writer = k -> {
      SplittableRandom r = new SplittableRandom(k);
      for (int n = 0; race.going(n, 500_000); n++) {
        int v = values[r.nextInt(values.length)];
        if (r.nextBoolean()) {
          s.write(KNOWN, 4, v);
        } else {
          s.hardwareUpdate(KNOWN, 4, -1, v);
        }
      }
    };
    Race.Worker reader = k -> {
      SplittableRandom r = new SplittableRandom(k);
      for (int n = 0; race.going(n, 500_000); n++) {
        int d = r.nextBoolean() ? s.readDword(KNOWN >>> 2) : s.read(KNOWN, 4);
        if (!dwords.contains(d)) {
          throw new AssertionError(String.format("read %08x", d));
        }
        int half = r.nextInt(2);
        if (!words.contains(s.read(KNOWN + 2 * half, 2) << 1 | half)) {
          throw new AssertionError("word " + half);
        }
        int b = r.nextInt(4);
        if (!bytes.contains(s.read(KNOWN + b, 1) << 2 | b)) {
          throw new AssertionError("byte " + b);
        }
      }
    };
    race.run(writer, writer, reader, reader);
    assertTrue(dwords.contains(s.read(KNOWN, 4)));
  }

  @Test
  void concurrentFirstWritesToAPristineInstanceLoseNothing() throws Exception {
    int rounds = 3000;
    CyclicBarrier start = new CyclicBarrier(THREADS + 1);
    CyclicBarrier done = new CyclicBarrier(THREADS + 1);
    AtomicReference<ConfigSpace> current = new AtomicReference<>();
    Race race = new Race(MILLIS * 2);
    int[] completed = new int[1];
    Race.Worker worker = index -> {
      int k = index - 1; // the driver is index 0
      for (int round = 0; ; round++) {
        await(start);
        ConfigSpace s = current.get();
        if (s == null) {
          return;
        }
        // Half the rounds race on the shared chunk 0 first, half on their own chunks first.
        if ((round & 1) == 0) {
          s.write(PER_CHUNK + 4 * k, 4, value(round, 0, k));
        }
        for (int c = k; c < 16; c += THREADS) {
          if (c == 0) {
            continue;
          }
          if (((round >> 1) & 1) == 0) {
            s.write(c * 256 + PER_CHUNK + 4 * k, 4, value(round, c, k));
          } else {
            s.hardwareUpdate(c * 256 + PER_CHUNK + 4 * k, 4, 0, value(round, c, k));
          }
        }
        for (int c = 1; c < 16; c++) {
          // Every thread also writes its dword of every other chunk: more first-copy races.
          if (c % THREADS != k) {
            s.write(c * 256 + PER_CHUNK + 4 * k, 4, value(round, c, k));
          }
        }
        if ((round & 1) == 1) {
          s.write(PER_CHUNK + 4 * k, 4, value(round, 0, k));
        }
        await(done);
      }
    };
    Race.Worker driver = i -> {
      boolean ok = false;
      try {
        drive(race, rounds, current, start, done, completed);
        ok = true;
      } finally {
        current.set(null);
        if (ok) {
          await(start);
        } else {
          // Release the workers from whichever barrier they wait at.
          start.reset();
          done.reset();
        }
      }
    };
    race.run(driver, worker, worker, worker, worker);
    assertTrue(completed[0] > 100, completed[0] + " rounds");
    assertLayoutUntouched();
  }

  private void drive(Race race, int rounds, AtomicReference<ConfigSpace> current,
      CyclicBarrier start, CyclicBarrier done, int[] completed) throws Exception {
    for (int round = 0; race.going(round, rounds); round++) {
      ConfigSpace s = new ConfigSpace(layout);
      current.set(s);
      await(start);
      await(done);
      for (int c = 0; c < 16; c++) {
        for (int k = 0; k < THREADS; k++) {
          int off = c * 256 + PER_CHUNK + 4 * k;
          if (s.read(off, 4) != value(round, c, k)) {
            throw new AssertionError(String.format("round %d: 0x%x reads %08x, not %08x",
                round, off, s.read(off, 4), value(round, c, k)));
          }
        }
      }
      assertEquals(16, s.privateChunks(), "round " + round);
      completed[0]++;
    }
  }

  private static int value(int round, int chunk, int thread) {
    return 0x80000000 | round << 8 | chunk << 4 | thread;
  }

  private static void await(CyclicBarrier b) throws InterruptedException,
      BrokenBarrierException, TimeoutException {
    b.await(60, TimeUnit.SECONDS);
  }

  @Test
  void readsConcurrentWithResetSeeTheDwordBeforeOrAfter() throws Exception {
    int a = 0xDEADBEEF;
    int afterWarm = (STICKY_DEFAULT & 0xFFFF0000) | (a & 0x0000FFFF);
    Set<Integer> sticky = Set.of(a, afterWarm, STICKY_DEFAULT);
    int[] plainValues = {0x99999999, 0x66666666};
    Set<Integer> plain = Set.of(plainValues[0], plainValues[1], PLAIN_DEFAULT);
    ConfigSpace s = new ConfigSpace(layout);
    Race race = new Race(MILLIS);
    AtomicLong resets = new AtomicLong();
    Race.Worker resetter = i -> {
      SplittableRandom r = new SplittableRandom(7);
      for (int n = 0; race.going(n, 200_000); n++) {
        s.write(STICKY, 4, a);
        s.reset(r.nextBoolean());
        resets.incrementAndGet();
      }
    };
    Race.Worker writer = i -> {
      SplittableRandom r = new SplittableRandom(8);
      for (int n = 0; race.going(n, 400_000); n++) {
        s.write(PLAIN, 4, plainValues[r.nextInt(2)]);
      }
    };
    Race.Worker reader = i -> {
      for (int n = 0; race.going(n, 500_000); n++) {
        int st = s.read(STICKY, 4);
        if (!sticky.contains(st)) {
          throw new AssertionError(String.format("sticky dword read %08x", st));
        }
        int p = s.readDword(PLAIN >>> 2);
        if (!plain.contains(p)) {
          throw new AssertionError(String.format("plain dword read %08x", p));
        }
        int hi = s.read(STICKY + 2, 2);
        if (hi != (a >>> 16) && hi != (STICKY_DEFAULT >>> 16)) {
          throw new AssertionError(String.format("sticky high word read %04x", hi));
        }
      }
    };
    race.run(resetter, writer, reader, reader);
    assertTrue(resets.get() > 100);
    s.reset(false);
    assertEquals(STICKY_DEFAULT, s.read(STICKY, 4));
    assertEquals(PLAIN_DEFAULT, s.read(PLAIN, 4));
    assertEquals(0, s.privateChunks());
    assertLayoutUntouched();
  }

  @Test
  void writesAndHardwareUpdatesRacingWithResetsNeverReachTheSharedLayout() throws Exception {
    ConfigSpace s = new ConfigSpace(layout);
    Race race = new Race(MILLIS);
    race.run(
        i -> {
          SplittableRandom r = new SplittableRandom(1);
          for (int n = 0; race.going(n, 100_000); n++) {
            s.reset(r.nextBoolean());
          }
        },
        k -> {
          SplittableRandom r = new SplittableRandom(k);
          for (int n = 0; race.going(n, 300_000); n++) {
            int c = r.nextInt(16);
            int off = c * 256 + PER_CHUNK + 4 * r.nextInt(THREADS);
            int v = r.nextInt();
            if (r.nextBoolean()) {
              s.write(off, 4, v);
            } else {
              s.hardwareUpdate(off, 4, -1, v);
            }
            s.write(STICKY, 2, v);
            s.hardwareUpdate(W1C_HANDOFF, 4, 0, v);
          }
        },
        k -> {
          SplittableRandom r = new SplittableRandom(k + 50);
          for (int n = 0; race.going(n, 300_000); n++) {
            s.write(r.nextInt(1024) * 4, 4, r.nextInt());
          }
        });
    assertLayoutUntouched();
    s.reset(false);
    assertEquals(0, s.privateChunks());
    for (int i = 0; i < layout.size() / 4; i++) {
      assertEquals(layout.defaultDword(i), s.readDword(i));
    }
  }
}
