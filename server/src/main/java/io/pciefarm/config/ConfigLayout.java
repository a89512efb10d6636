package io.pciefarm.config;

import java.util.List;
import java.util.OptionalInt;

/**
 * The immutable description of one function model's config space: reset values and per-bit
 * behaviour, shared by every instance of the model. Built by {@link LayoutBuilder}.
 *
 * <p>Per dword {@code i}:
 * <ul>
 *   <li>{@code wmask(i)}: bits a write stores (RW, RWS);
 *   <li>{@code w1cmask(i)}: bits a write of 1 clears (RW1C, RW1CS);
 *   <li>{@code stickyMask(i)}: bits a warm reset (FLR, hot reset) keeps; only a cold reset
 *       returns them to their defaults;
 *   <li>{@code triggerMask(i)}: write-one actions that read back 0 (Initiate FLR): never stored,
 *       only reported to the listener;
 *   <li>every other bit is read-only to software: RO, HwInit and reserved bits alike.
 * </ul>
 */
public final class ConfigLayout {
  /** Bytes of a PCI Express function's config space. */
  public static final int PCIE_SIZE = 4096;
  /** Bytes of a conventional PCI function's config space. */
  public static final int CONVENTIONAL_SIZE = 256;
  /** Dwords per copy-on-write chunk: 256 bytes, the conventional space in one chunk. */
  static final int CHUNK_DWORDS = 64;
  static final int CHUNK_SHIFT = 6;

  /** Where one capability structure sits. */
  public record Placement(int id, int offset, int length, boolean extended) {}

  private final int size;
  private final int[] wmask;
  private final int[] w1cmask;
  private final int[] sticky;
  private final int[] trigger;
  private final int[][] defaults;
  private final boolean[] chunkHasSticky;
  private final HookedRegister[][] hooks;
  private final List<Placement> capabilities;

  ConfigLayout(int size, int[] values, int[] wmask, int[] w1cmask, int[] sticky, int[] trigger,
      HookedRegister[][] hooks, List<Placement> capabilities) {
    this.size = size;
    this.wmask = wmask;
    this.w1cmask = w1cmask;
    this.sticky = sticky;
    this.trigger = trigger;
    this.hooks = hooks;
    this.capabilities = List.copyOf(capabilities);
    int chunks = size / 4 / CHUNK_DWORDS;
    this.defaults = new int[chunks][];
    this.chunkHasSticky = new boolean[chunks];
    for (int c = 0; c < chunks; c++) {
      defaults[c] = new int[CHUNK_DWORDS];
      System.arraycopy(values, c * CHUNK_DWORDS, defaults[c], 0, CHUNK_DWORDS);
      for (int i = 0; i < CHUNK_DWORDS; i++) {
        chunkHasSticky[c] |= sticky[c * CHUNK_DWORDS + i] != 0;
      }
    }
  }

  /** Config space size in bytes: {@link #PCIE_SIZE} or {@link #CONVENTIONAL_SIZE}. */
  public int size() {
    return size;
  }

  public boolean isExpress() {
    return size == PCIE_SIZE;
  }

  /** Reset value of dword {@code index}. */
  public int defaultDword(int index) {
    return defaults[index >>> CHUNK_SHIFT][index & (CHUNK_DWORDS - 1)];
  }

  /** Reset value of {@code width} bytes at {@code offset}. */
  public int defaultValue(int offset, int width) {
    ConfigAccess.check(offset, width, size);
    return ConfigAccess.extract(defaultDword(offset >>> 2), offset, width);
  }

  public int wmask(int index) {
    return wmask[index];
  }

  public int w1cmask(int index) {
    return w1cmask[index];
  }

  public int stickyMask(int index) {
    return sticky[index];
  }

  public int triggerMask(int index) {
    return trigger[index];
  }

  /** The hooked registers in dword {@code index}, or null when it has none. */
  HookedRegister[] hooks(int index) {
    return hooks[index];
  }

  /** Every hooked register of the layout, in offset order. */
  public List<HookedRegister> hookedRegisters() {
    return java.util.Arrays.stream(hooks).filter(java.util.Objects::nonNull)
        .flatMap(java.util.Arrays::stream).toList();
  }

  /** Offset of the hooked {@code register}, if the layout has it. */
  public OptionalInt offsetOf(Register register) {
    for (HookedRegister[] inDword : hooks) {
      if (inDword != null) {
        for (HookedRegister h : inDword) {
          if (h.register() == register) {
            return OptionalInt.of(h.offset());
          }
        }
      }
    }
    return OptionalInt.empty();
  }

  /** Capabilities in the order the model declared them (each list is linked in that order). */
  public List<Placement> capabilities() {
    return capabilities;
  }

  /** Offset of the first conventional capability with {@code id}, or -1. */
  public int capability(int id) {
    return find(id, false);
  }

  /** Offset of the first extended capability with {@code id}, or -1. */
  public int extendedCapability(int id) {
    return find(id, true);
  }

  private int find(int id, boolean extended) {
    for (Placement p : capabilities) {
      if (p.id() == id && p.extended() == extended) {
        return p.offset();
      }
    }
    return -1;
  }

  int[][] defaultChunks() {
    return defaults;
  }

  boolean chunkHasSticky(int chunk) {
    return chunkHasSticky[chunk];
  }
}
