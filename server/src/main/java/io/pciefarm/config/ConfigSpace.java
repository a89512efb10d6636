package io.pciefarm.config;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The live config space of one function: lock-free, and cheap while idle.
 *
 * <h2>Storage</h2>
 * Values are 32-bit words in 256-byte chunks ({@code live[chunk][word]}). A new instance shares
 * its reset image, which is the model's {@link ConfigLayout} defaults plus any per-instance
 * {@link #strap straps}; the first write copies just the top array (16 references) and the one
 * chunk it lands in. An idle function therefore costs an object and no copy of its 4 KiB, and a
 * firmware-enumerated one a few hundred bytes.
 *
 * <h2>Concurrency</h2>
 * <ul>
 *   <li>A read is three dependent acquire loads (top, chunk, word); it takes no lock and
 *       allocates nothing, and it always returns a value some write (or reset) produced.
 *   <li>A write applies {@code (cfg & ~wmask) | (val & wmask)}, then clears
 *       {@code val & w1cmask}, to the bytes it covers, in a compare-and-set loop on the one
 *       dword: writers of different bits of one dword never lose each other's updates.
 *   <li>A reset publishes a whole new top array at once. A write racing with a reset either
 *       lands before it (and is reset) or is dropped; the listener hears only writes that
 *       landed in the published state.
 * </ul>
 */
public final class ConfigSpace {
  private static final VarHandle LIVE;
  private static final VarHandle CHUNK = MethodHandles.arrayElementVarHandle(int[][].class);
  private static final VarHandle WORD = MethodHandles.arrayElementVarHandle(int[].class);
  private static final int CHUNK_MASK = ConfigLayout.CHUNK_DWORDS - 1;

  static {
    try {
      LIVE = MethodHandles.lookup().findVarHandle(ConfigSpace.class, "live", int[][].class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final ConfigLayout layout;
  /** Reset values: the layout's chunks, or private copies where this instance is strapped. */
  /** Most spin-wait hints between two CAS attempts on one contended dword. */
  private static final int MAX_BACKOFF = 64;

  private int[][] resetImage;
  /** The published state; identical to {@link #resetImage} until the first write. */
  private volatile int[][] live;
  private volatile RegisterListener listener = RegisterListener.NONE;

  public ConfigSpace(ConfigLayout layout) {
    this.layout = layout;
    this.resetImage = layout.defaultChunks();
    this.live = resetImage;
  }

  public ConfigLayout layout() {
    return layout;
  }

  /** Sets who hears writes to hooked registers. */
  public void listener(RegisterListener listener) {
    this.listener = listener == null ? RegisterListener.NONE : listener;
  }

  /**
   * Reads {@code width} bytes at {@code offset}. Offsets from the end of a conventional
   * function's 256 bytes up to 4095 read 0, as they do behind a PCIe-to-PCI bridge.
   *
   * @throws ConfigAccessException for a width other than 1, 2, 4, a misaligned offset, or one
   *     outside the 4096-byte PCI Express config space
   */
  public int read(int offset, int width) {
    ConfigAccess.check(offset, width, ConfigLayout.PCIE_SIZE);
    if (offset >= layout.size()) {
      return 0;
    }
    return ConfigAccess.extract(readDword(offset >>> 2), offset, width);
  }

  /** Reads dword {@code index} (byte offset {@code index * 4}), which must lie in the layout. */
  public int readDword(int index) {
    int[][] top = live;
    int[] chunk = (int[]) CHUNK.getAcquire(top, index >>> ConfigLayout.CHUNK_SHIFT);
    return (int) WORD.getAcquire(chunk, index & CHUNK_MASK);
  }

  /**
   * Writes {@code width} bytes of {@code value} at {@code offset} as software does: only
   * writable bits change, written ones clear RW1C bits, and trigger bits are reported but never
   * stored. Writes past a conventional function's 256 bytes are dropped.
   *
   * @throws ConfigAccessException as for {@link #read}
   */
  public void write(int offset, int width, int value) {
    ConfigAccess.check(offset, width, ConfigLayout.PCIE_SIZE);
    if (offset >= layout.size()) {
      return;
    }
    int index = offset >>> 2;
    int shift = (offset & 3) * 8;
    int bytes = ConfigAccess.widthMask(width) << shift;
    int val = value << shift;
    int writable = layout.wmask(index) & bytes;
    int clear = layout.w1cmask(index) & bytes & val;
    int[][] top = live;
    int word = index & CHUNK_MASK;
    int c = index >>> ConfigLayout.CHUNK_SHIFT;
    int[] chunk = (int[]) CHUNK.getAcquire(top, c);
    int oldDword = (int) WORD.getAcquire(chunk, word);
    int newDword = ((oldDword & ~writable) | (val & writable)) & ~clear;
    if (newDword != oldDword) {
      // Only a write that changes something gets a private chunk: a no-op write (Command
      // written back unchanged, an RW1C clear of bits already clear) copies nothing. Once the
      // chunk is private (the steady state) the value already read starts the CAS loop: under
      // contention every extra load of the dword is one more transfer of its cache line.
      if (top == resetImage || chunk == resetImage[c]) {
        top = ownedTop();
        chunk = ownedChunk(top, c);
        oldDword = (int) WORD.getAcquire(chunk, word);
      }
      if (writable == 0) {
        // Clear-only (an RW1C write): one atomic AND, no retry loop.
        oldDword = (int) WORD.getAndBitwiseAnd(chunk, word, ~clear);
        newDword = oldDword & ~clear;
      } else {
        for (int backoff = 1; ; backoff = Math.min(backoff << 1, MAX_BACKOFF)) {
          newDword = ((oldDword & ~writable) | (val & writable)) & ~clear;
          if (newDword == oldDword) {
            break;
          }
          int witness = (int) WORD.compareAndExchange(chunk, word, oldDword, newDword);
          if (witness == oldDword) {
            break;
          }
          oldDword = witness;
          // Contended: step back, longer each time, so the other writer completes its
          // read-CAS pair while it holds the line instead of both losing it to each other.
          for (int i = 0; i < backoff; i++) {
            Thread.onSpinWait();
          }
        }
      }
    }
    HookedRegister[] hooks = layout.hooks(index);
    if (hooks != null && live == top) {
      notify(hooks, offset, width, oldDword, newDword, val & bytes);
    }
  }

  /**
   * Changes bits as the device itself does (status it reports, link state), ignoring the
   * software masks and without telling the listener.
   *
   * @return the register's new value
   */
  public int hardwareUpdate(int offset, int width, int clearBits, int setBits) {
    ConfigAccess.check(offset, width, layout.size());
    int shift = (offset & 3) * 8;
    int bytes = ConfigAccess.widthMask(width) << shift;
    int clr = (clearBits << shift) & bytes;
    int set = (setBits << shift) & bytes;
    int index = offset >>> 2;
    int word = index & CHUNK_MASK;
    int current = (int) WORD.getAcquire(
        (int[]) CHUNK.getAcquire(live, index >>> ConfigLayout.CHUNK_SHIFT), word);
    if (((current & ~clr) | set) == current) {
      return ConfigAccess.extract(current, offset, width); // nothing changes: no copy
    }
    int[] chunk = ownedChunk(ownedTop(), index >>> ConfigLayout.CHUNK_SHIFT);
    int old;
    if (set == 0) {
      old = (int) WORD.getAndBitwiseAnd(chunk, word, ~clr);
    } else if (clr == 0) {
      old = (int) WORD.getAndBitwiseOr(chunk, word, set);
    } else {
      old = (int) WORD.getAcquire(chunk, word);
      while (true) {
        int witness = (int) WORD.compareAndExchange(chunk, word, old, (old & ~clr) | set);
        if (witness == old) {
          break;
        }
        old = witness;
        Thread.onSpinWait();
      }
    }
    return ConfigAccess.extract((old & ~clr) | set, offset, width);
  }

  /**
   * Sets a per-instance hardware-initialised value (a port number, a physical slot number, a
   * serial number): it becomes part of this instance's reset image and of its live state.
   * Meant for construction, before the space is shared.
   */
  public void strap(int offset, int width, int value) {
    ConfigAccess.check(offset, width, layout.size());
    int shift = (offset & 3) * 8;
    int bytes = ConfigAccess.widthMask(width) << shift;
    int index = offset >>> 2;
    int c = index >>> ConfigLayout.CHUNK_SHIFT;
    boolean pristine = live == resetImage;
    if (!pristine) {
      // The live state may share chunk c with the reset image. Once resetImage[c] is replaced
      // below, ownedChunk would take that shared chunk (possibly the layout's own defaults) for
      // a private one and write into it: give the live state its own copy first.
      ownedChunk(ownedTop(), c);
    }
    int[][] image = resetImage == layout.defaultChunks() ? resetImage.clone() : resetImage;
    if (image[c] == layout.defaultChunks()[c]) {
      image[c] = image[c].clone();
    }
    int word = index & CHUNK_MASK;
    image[c][word] = (image[c][word] & ~bytes) | ((value << shift) & bytes);
    resetImage = image;
    if (pristine) {
      live = image;
    } else {
      hardwareUpdate(offset, width, -1, value);
    }
  }

  /**
   * Returns every register to its reset value at once. A warm reset (FLR, hot reset, PM reset)
   * keeps sticky bits; a cold reset (power cycle) clears them too. Readers see either the state
   * before or the state after, never a mix within one dword.
   */
  public void reset(boolean keepSticky) {
    int[][] image = resetImage;
    if (!keepSticky) {
      live = image;
      return;
    }
    int[][] current = live;
    int[][] next = null;
    for (int c = 0; c < image.length; c++) {
      if (!layout.chunkHasSticky(c)) {
        continue;
      }
      int[] now = (int[]) CHUNK.getAcquire(current, c);
      int[] base = image[c];
      if (now == base) {
        continue;
      }
      int[] merged = null;
      for (int w = 0; w < ConfigLayout.CHUNK_DWORDS; w++) {
        int sticky = layout.stickyMask((c << ConfigLayout.CHUNK_SHIFT) + w);
        if (sticky == 0) {
          continue;
        }
        int want = (base[w] & ~sticky) | ((int) WORD.getAcquire(now, w) & sticky);
        if (want != base[w]) {
          if (merged == null) {
            merged = base.clone();
          }
          merged[w] = want;
        }
      }
      if (merged != null) {
        if (next == null) {
          next = image.clone();
        }
        next[c] = merged;
      }
    }
    live = next == null ? image : next;
  }

  /** Number of 256-byte chunks this instance holds privately (0 while idle): for footprint. */
  public int privateChunks() {
    int[][] top = live;
    int n = 0;
    for (int c = 0; c < top.length; c++) {
      if (CHUNK.getAcquire(top, c) != resetImage[c]) {
        n++;
      }
    }
    return n;
  }

  private int[][] ownedTop() {
    while (true) {
      int[][] top = live;
      if (top != resetImage) {
        return top;
      }
      int[][] copy = top.clone();
      if (LIVE.compareAndSet(this, top, copy)) {
        return copy;
      }
    }
  }

  private int[] ownedChunk(int[][] top, int c) {
    while (true) {
      int[] chunk = (int[]) CHUNK.getAcquire(top, c);
      if (chunk != resetImage[c]) {
        return chunk;
      }
      int[] copy = chunk.clone();
      if (CHUNK.compareAndSet(top, c, chunk, copy)) {
        return copy;
      }
    }
  }

  private void notify(HookedRegister[] hooks, int offset, int width, int oldDword, int newDword,
      int written) {
    RegisterListener l = listener;
    for (HookedRegister h : hooks) {
      if (h.overlaps(offset, width)) {
        l.registerWritten(this, h,
            ConfigAccess.extract(oldDword, h.offset(), h.width()),
            ConfigAccess.extract(newDword, h.offset(), h.width()),
            ConfigAccess.extract(written, h.offset(), h.width()));
      }
    }
  }
}
