package io.pciefarm.bench.config;

import io.pciefarm.config.ConfigSpace;
import io.pciefarm.spec.ExtendedCapabilities;
import io.pciefarm.spec.Header;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Group;
import org.openjdk.jmh.annotations.GroupThreads;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * The config-space hot path: {@link ConfigSpace} against {@link SynchronizedConfigSpace}, the
 * same semantics behind a monitor, over the same {@link EndpointLayout}, in the same run. Every
 * benchmark {@code x} has a twin {@code x_sync} that does exactly the same calls on the baseline.
 *
 * <p>Single thread:
 * <ul>
 *   <li>{@code readDword}: the raw dword read the gRPC layer uses for bulk reads;
 *   <li>{@code read4}, {@code read2}, {@code read1}: {@code read(offset, width)} with its
 *       validation, at random aligned offsets over 0x000..0x1FF (header, conventional
 *       capabilities, AER and DSN: two copy-on-write chunks);
 *   <li>{@code writeBar}: BAR0 low dword (RW address bits), a different value every time so
 *       every write really changes the dword;
 *   <li>{@code writeCommand}: Command word (RW, hooked: the listener is told), toggling INTx
 *       Disable as {@code pci_intx()} does;
 *   <li>{@code clearStatus}: RW1C write of ones to the Status error bits when none is set (what
 *       an error handler does after reading Status): nothing to store;
 *   <li>{@code raiseThenClearStatus}: the device raises Detected Parity Error
 *       ({@code hardwareUpdate}) and software clears it: two real updates per operation.
 * </ul>
 *
 * <p>Two threads, one function ({@code @Group}s, per-thread scores under the group):
 * <ul>
 *   <li>{@code readers}: two threads doing {@code read4};
 *   <li>{@code writersApart}: one writes BAR0, the other BAR2: different dwords, but 8 bytes
 *       apart, so on one cache line, as neighbouring registers are;
 *   <li>{@code writersFar}: one writes BAR0, the other AER's Uncorrectable Error Mask (0x108):
 *       different chunks, so different cache lines;
 *   <li>{@code writersSameDword}: both write BAR0;
 *   <li>{@code readerWriter}: one writes BAR0 while the other polls it.
 * </ul>
 *
 * <p>Reference points, no baseline: {@code floorCas} and {@code floorCasSameWord} (two threads)
 * do only what is left of a write once the layout logic is gone, an acquire load and a
 * compare-and-set loop on one {@code int}: what the hardware charges for it.
 *
 * <p>Reads on the engine run twice, {@code state=pristine} (the instance still shares the
 * layout's default chunks) and {@code state=written} (enumerated: both chunks read are private).
 * Writes always measure the steady state of an enumerated instance; the baseline has one state.
 *
 * <p>Offsets and values come from per-thread tables filled in set-up (1024 entries, seeded, so
 * both implementations see the same sequence) and walked with a cursor: the per-operation cost
 * of that is one increment, mask and array load, the same on both sides. Widths and register
 * offsets are read from non-final state fields so the JIT cannot fold the validation away.
 * Results are returned (JMH sinks them in its blackhole).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ConfigSpaceBenchmark {
  static final int SLOTS = 1024;
  static final int MASK = SLOTS - 1;
  /** Bytes the random reads cover: chunk 0 (header, PM, PCIe) and chunk 1 (AER, DSN). */
  static final int READ_SPAN = 0x200;

  /** The engine for reads, pristine or enumerated. */
  @State(Scope.Benchmark)
  public static class EngineRead {
    @Param({"pristine", "written"})
    public String state;
    public ConfigSpace space;

    @Setup(Level.Trial)
    public void setUp() {
      space = new ConfigSpace(EndpointLayout.LAYOUT);
      if ("written".equals(state)) {
        EndpointLayout.enumerate(space::write);
      }
      checkChunks();
    }

    @TearDown(Level.Trial)
    public void checkChunks() {
      int want = "written".equals(state) ? 2 : 0;
      if (space.privateChunks() != want) {
        throw new IllegalStateException(state + " space holds " + space.privateChunks()
            + " private chunks, expected " + want);
      }
    }
  }

  /** The engine for writes: an enumerated instance (its chunks already private). */
  @State(Scope.Benchmark)
  public static class Engine {
    public ConfigSpace space;

    @Setup(Level.Trial)
    public void setUp() {
      space = new ConfigSpace(EndpointLayout.LAYOUT);
      EndpointLayout.enumerate(space::write);
    }
  }

  /** The synchronized baseline, enumerated the same way. */
  @State(Scope.Benchmark)
  public static class Baseline {
    public SynchronizedConfigSpace space;

    @Setup(Level.Trial)
    public void setUp() {
      space = new SynchronizedConfigSpace(EndpointLayout.LAYOUT);
      EndpointLayout.enumerate(space::write);
    }
  }

  /**
   * 68 bytes of fields a subclass's fields come after: whatever the heap put just before a
   * {@link Cursor} (in the pristine runs, the shared {@link ConfigSpace} itself, allocated just
   * before it on the same thread) is not on the cache line of the cursor the thread bumps every
   * operation. JMH pads the other end of state objects itself.
   */
  abstract static class CursorPadding {
    int p00;
    long p01;
    long p02;
    long p03;
    long p04;
    long p05;
    long p06;
    long p07;
    long p08;
  }

  /** Per-thread inputs: pre-drawn offsets and values, and the cursor walking them. */
  @State(Scope.Thread)
  public static class Cursor extends CursorPadding {
    // Not final and not static: loaded on every call, never constants to the JIT.
    public int byteWidth = 1;
    public int wordWidth = 2;
    public int dwordWidth = 4;
    public int bar0 = EndpointLayout.BAR0;
    public int bar2 = EndpointLayout.BAR2;
    public int aerMask = EndpointLayout.AER + ExtendedCapabilities.AER_UNCOR_MASK;
    public int command = Header.COMMAND;
    public int status = Header.STATUS;
    public int statusErrors = Header.STATUS_ERRORS_RW1C;
    public int parityError = Header.STATUS_DETECTED_PARITY;

    int[] dwordIndexes = new int[SLOTS];
    int[] dwordOffsets = new int[SLOTS];
    int[] wordOffsets = new int[SLOTS];
    int[] byteOffsets = new int[SLOTS];
    int[] bar0Values;
    int[] bar2Values;
    int[] aerMaskValues;
    int[] commandValues;
    int i;

    @Setup(Level.Trial)
    public void setUp(ThreadParams thread) {
      Random r = new Random(0x5EEDL + thread.getThreadIndex());
      for (int k = 0; k < SLOTS; k++) {
        dwordOffsets[k] = r.nextInt(READ_SPAN / 4) * 4;
        dwordIndexes[k] = r.nextInt(READ_SPAN / 4);
        wordOffsets[k] = r.nextInt(READ_SPAN / 2) * 2;
        byteOffsets[k] = r.nextInt(READ_SPAN);
      }
      bar0Values = changing(r, -(EndpointLayout.BAR0_SIZE), r.nextInt());
      bar2Values = changing(r, -(EndpointLayout.BAR2_SIZE), r.nextInt());
      aerMaskValues = changing(r, ExtendedCapabilities.AER_UNCOR_DEFINED, 0);
      commandValues = changing(r, Header.COMMAND_INTX_DISABLE,
          Header.COMMAND_MEMORY | Header.COMMAND_MASTER | Header.COMMAND_SERR);
      i = r.nextInt(SLOTS);
    }

    /** The next slot. */
    int next() {
      int k = (i + 1) & MASK;
      i = k;
      return k;
    }

    /**
     * Values whose bits under {@code random} are random, which otherwise are {@code fixed},
     * and whose lowest bit of {@code random} alternates, so consecutive writes (wrapping
     * around too) always change a writable bit.
     */
    private static int[] changing(Random r, int random, int fixed) {
      int flip = Integer.lowestOneBit(random);
      int[] values = new int[SLOTS];
      for (int k = 0; k < SLOTS; k++) {
        int v = (r.nextInt() & random & ~flip) | (fixed & ~random);
        values[k] = (k & 1) == 0 ? v : v | flip;
      }
      return values;
    }
  }

  /** One {@code int} with a cache line of nothing either side: the floor's target. */
  @State(Scope.Benchmark)
  public static class Word {
    static final VarHandle INT = MethodHandles.arrayElementVarHandle(int[].class);
    public final int[] words = new int[48];
    public int index = 24;

    /** The engine's inner loop without the engine: acquire load, then CAS until it sticks. */
    int update(int value) {
      int[] a = words;
      int k = index;
      while (true) {
        int old = (int) INT.getAcquire(a, k);
        int next = old ^ value;
        if (INT.compareAndSet(a, k, old, next)) {
          return next;
        }
      }
    }
  }

  // ---- reads, one thread ----

  @Benchmark
  public int readDword(EngineRead s, Cursor c) {
    return s.space.readDword(c.dwordIndexes[c.next()]);
  }

  @Benchmark
  public int readDword_sync(Baseline s, Cursor c) {
    return s.space.readDword(c.dwordIndexes[c.next()]);
  }

  @Benchmark
  public int read4(EngineRead s, Cursor c) {
    return s.space.read(c.dwordOffsets[c.next()], c.dwordWidth);
  }

  @Benchmark
  public int read4_sync(Baseline s, Cursor c) {
    return s.space.read(c.dwordOffsets[c.next()], c.dwordWidth);
  }

  @Benchmark
  public int read2(EngineRead s, Cursor c) {
    return s.space.read(c.wordOffsets[c.next()], c.wordWidth);
  }

  @Benchmark
  public int read2_sync(Baseline s, Cursor c) {
    return s.space.read(c.wordOffsets[c.next()], c.wordWidth);
  }

  @Benchmark
  public int read1(EngineRead s, Cursor c) {
    return s.space.read(c.byteOffsets[c.next()], c.byteWidth);
  }

  @Benchmark
  public int read1_sync(Baseline s, Cursor c) {
    return s.space.read(c.byteOffsets[c.next()], c.byteWidth);
  }

  // ---- writes, one thread ----

  @Benchmark
  public void writeBar(Engine s, Cursor c) {
    s.space.write(c.bar0, c.dwordWidth, c.bar0Values[c.next()]);
  }

  @Benchmark
  public void writeBar_sync(Baseline s, Cursor c) {
    s.space.write(c.bar0, c.dwordWidth, c.bar0Values[c.next()]);
  }

  @Benchmark
  public void writeCommand(Engine s, Cursor c) {
    s.space.write(c.command, c.wordWidth, c.commandValues[c.next()]);
  }

  @Benchmark
  public void writeCommand_sync(Baseline s, Cursor c) {
    s.space.write(c.command, c.wordWidth, c.commandValues[c.next()]);
  }

  @Benchmark
  public void clearStatus(Engine s, Cursor c) {
    s.space.write(c.status, c.wordWidth, c.statusErrors);
  }

  @Benchmark
  public void clearStatus_sync(Baseline s, Cursor c) {
    s.space.write(c.status, c.wordWidth, c.statusErrors);
  }

  @Benchmark
  public int raiseThenClearStatus(Engine s, Cursor c) {
    int raised = s.space.hardwareUpdate(c.status, c.wordWidth, 0, c.parityError);
    s.space.write(c.status, c.wordWidth, raised & c.statusErrors);
    return raised;
  }

  @Benchmark
  public int raiseThenClearStatus_sync(Baseline s, Cursor c) {
    int raised = s.space.hardwareUpdate(c.status, c.wordWidth, 0, c.parityError);
    s.space.write(c.status, c.wordWidth, raised & c.statusErrors);
    return raised;
  }

  // ---- two threads: two readers ----

  @Benchmark
  @Group("readers")
  @GroupThreads(2)
  public int readers_read4(EngineRead s, Cursor c) {
    return s.space.read(c.dwordOffsets[c.next()], c.dwordWidth);
  }

  @Benchmark
  @Group("readers_sync")
  @GroupThreads(2)
  public int readers_sync_read4(Baseline s, Cursor c) {
    return s.space.read(c.dwordOffsets[c.next()], c.dwordWidth);
  }

  // ---- two threads: two writers on different dwords ----

  @Benchmark
  @Group("writersApart")
  @GroupThreads(1)
  public void writersApart_bar0(Engine s, Cursor c) {
    s.space.write(c.bar0, c.dwordWidth, c.bar0Values[c.next()]);
  }

  @Benchmark
  @Group("writersApart")
  @GroupThreads(1)
  public void writersApart_bar2(Engine s, Cursor c) {
    s.space.write(c.bar2, c.dwordWidth, c.bar2Values[c.next()]);
  }

  @Benchmark
  @Group("writersApart_sync")
  @GroupThreads(1)
  public void writersApart_sync_bar0(Baseline s, Cursor c) {
    s.space.write(c.bar0, c.dwordWidth, c.bar0Values[c.next()]);
  }

  @Benchmark
  @Group("writersApart_sync")
  @GroupThreads(1)
  public void writersApart_sync_bar2(Baseline s, Cursor c) {
    s.space.write(c.bar2, c.dwordWidth, c.bar2Values[c.next()]);
  }

  // ---- two threads: two writers on different cache lines ----

  @Benchmark
  @Group("writersFar")
  @GroupThreads(1)
  public void writersFar_bar0(Engine s, Cursor c) {
    s.space.write(c.bar0, c.dwordWidth, c.bar0Values[c.next()]);
  }

  @Benchmark
  @Group("writersFar")
  @GroupThreads(1)
  public void writersFar_aerMask(Engine s, Cursor c) {
    s.space.write(c.aerMask, c.dwordWidth, c.aerMaskValues[c.next()]);
  }

  @Benchmark
  @Group("writersFar_sync")
  @GroupThreads(1)
  public void writersFar_sync_bar0(Baseline s, Cursor c) {
    s.space.write(c.bar0, c.dwordWidth, c.bar0Values[c.next()]);
  }

  @Benchmark
  @Group("writersFar_sync")
  @GroupThreads(1)
  public void writersFar_sync_aerMask(Baseline s, Cursor c) {
    s.space.write(c.aerMask, c.dwordWidth, c.aerMaskValues[c.next()]);
  }

  // ---- two threads: two writers on the same dword ----

  @Benchmark
  @Group("writersSameDword")
  @GroupThreads(1)
  public void writersSameDword_a(Engine s, Cursor c) {
    s.space.write(c.bar0, c.dwordWidth, c.bar0Values[c.next()]);
  }

  @Benchmark
  @Group("writersSameDword")
  @GroupThreads(1)
  public void writersSameDword_b(Engine s, Cursor c) {
    s.space.write(c.bar0, c.dwordWidth, c.bar0Values[c.next()]);
  }

  @Benchmark
  @Group("writersSameDword_sync")
  @GroupThreads(1)
  public void writersSameDword_sync_a(Baseline s, Cursor c) {
    s.space.write(c.bar0, c.dwordWidth, c.bar0Values[c.next()]);
  }

  @Benchmark
  @Group("writersSameDword_sync")
  @GroupThreads(1)
  public void writersSameDword_sync_b(Baseline s, Cursor c) {
    s.space.write(c.bar0, c.dwordWidth, c.bar0Values[c.next()]);
  }

  // ---- two threads: one reader polling the dword one writer changes ----

  @Benchmark
  @Group("readerWriter")
  @GroupThreads(1)
  public int readerWriter_read(Engine s, Cursor c) {
    return s.space.read(c.bar0, c.dwordWidth);
  }

  @Benchmark
  @Group("readerWriter")
  @GroupThreads(1)
  public void readerWriter_write(Engine s, Cursor c) {
    s.space.write(c.bar0, c.dwordWidth, c.bar0Values[c.next()]);
  }

  @Benchmark
  @Group("readerWriter_sync")
  @GroupThreads(1)
  public int readerWriter_sync_read(Baseline s, Cursor c) {
    return s.space.read(c.bar0, c.dwordWidth);
  }

  @Benchmark
  @Group("readerWriter_sync")
  @GroupThreads(1)
  public void readerWriter_sync_write(Baseline s, Cursor c) {
    s.space.write(c.bar0, c.dwordWidth, c.bar0Values[c.next()]);
  }

  // ---- reference: the price of one CAS, alone and contended ----

  @Benchmark
  public int floorCas(Word w, Cursor c) {
    return w.update(c.bar0Values[c.next()]);
  }

  @Benchmark
  @Group("floorCasSameWord")
  @GroupThreads(2)
  public int floorCasSameWord_update(Word w, Cursor c) {
    return w.update(c.bar0Values[c.next()]);
  }
}
