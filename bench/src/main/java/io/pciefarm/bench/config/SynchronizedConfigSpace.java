package io.pciefarm.bench.config;

import io.pciefarm.config.ConfigAccess;
import io.pciefarm.config.ConfigLayout;
import io.pciefarm.config.ConfigSpace;
import io.pciefarm.config.HookedRegister;
import java.util.ArrayList;
import java.util.List;

/**
 * The baseline the benchmarks compare {@link ConfigSpace} against: the same semantics done the
 * obvious way. One {@code int[]} holding every dword of the function, filled from the layout's
 * defaults, and a monitor around every access to it.
 *
 * <p>Same validation ({@link ConfigAccess#check}), same reads past a conventional function's 256
 * bytes, same write formula ({@code ((old & ~wmask) | (val & wmask)) & ~(val & w1cmask)} over the
 * bytes written), same hooked-register notifications (after the lock is released, once per
 * hooked register the access touched, even when nothing changed), same hardware updates and warm
 * / cold resets. The only differences are the storage (eager 4 KiB array instead of shared
 * copy-on-write chunks) and the concurrency control (a lock instead of acquire loads and CAS).
 * Straps are not modelled; no benchmark uses them.
 */
public final class SynchronizedConfigSpace {
  /** What {@link io.pciefarm.config.RegisterListener} is to {@link ConfigSpace}. */
  @FunctionalInterface
  public interface Listener {
    Listener NONE = (space, register, oldValue, newValue, written) -> {};

    void registerWritten(SynchronizedConfigSpace space, HookedRegister register, int oldValue,
        int newValue, int written);
  }

  private final ConfigLayout layout;
  /** Guarded by {@code this}. */
  private final int[] values;
  private final HookedRegister[][] hooks;
  private volatile Listener listener = Listener.NONE;

  public SynchronizedConfigSpace(ConfigLayout layout) {
    this.layout = layout;
    int dwords = layout.size() / 4;
    this.values = new int[dwords];
    for (int i = 0; i < dwords; i++) {
      values[i] = layout.defaultDword(i);
    }
    this.hooks = new HookedRegister[dwords][];
    for (HookedRegister h : layout.hookedRegisters()) {
      int i = h.offset() >>> 2;
      HookedRegister[] old = hooks[i];
      if (old == null) {
        hooks[i] = new HookedRegister[] {h};
      } else {
        List<HookedRegister> grown = new ArrayList<>(List.of(old));
        grown.add(h);
        hooks[i] = grown.toArray(new HookedRegister[0]);
      }
    }
  }

  public ConfigLayout layout() {
    return layout;
  }

  public void listener(Listener listener) {
    this.listener = listener == null ? Listener.NONE : listener;
  }

  /** As {@link ConfigSpace#read}. */
  public int read(int offset, int width) {
    ConfigAccess.check(offset, width, ConfigLayout.PCIE_SIZE);
    if (offset >= layout.size()) {
      return 0;
    }
    return ConfigAccess.extract(readDword(offset >>> 2), offset, width);
  }

  /** As {@link ConfigSpace#readDword}. */
  public synchronized int readDword(int index) {
    return values[index];
  }

  /** As {@link ConfigSpace#write}. */
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
    int oldDword;
    int newDword;
    synchronized (this) {
      oldDword = values[index];
      newDword = ((oldDword & ~writable) | (val & writable)) & ~clear;
      values[index] = newDword;
    }
    HookedRegister[] hooked = hooks[index];
    if (hooked != null) {
      notify(hooked, offset, width, oldDword, newDword, val & bytes);
    }
  }

  /** As {@link ConfigSpace#hardwareUpdate}. */
  public int hardwareUpdate(int offset, int width, int clearBits, int setBits) {
    ConfigAccess.check(offset, width, layout.size());
    int shift = (offset & 3) * 8;
    int bytes = ConfigAccess.widthMask(width) << shift;
    int clr = (clearBits << shift) & bytes;
    int set = (setBits << shift) & bytes;
    int index = offset >>> 2;
    int next;
    synchronized (this) {
      next = (values[index] & ~clr) | set;
      values[index] = next;
    }
    return ConfigAccess.extract(next, offset, width);
  }

  /** As {@link ConfigSpace#reset}: a warm reset keeps sticky bits, a cold one does not. */
  public synchronized void reset(boolean keepSticky) {
    for (int i = 0; i < values.length; i++) {
      int base = layout.defaultDword(i);
      int sticky = keepSticky ? layout.stickyMask(i) : 0;
      values[i] = (base & ~sticky) | (values[i] & sticky);
    }
  }

  private void notify(HookedRegister[] hooked, int offset, int width, int oldDword, int newDword,
      int written) {
    Listener l = listener;
    for (HookedRegister h : hooked) {
      if (offset < h.offset() + h.width() && h.offset() < offset + width) {
        l.registerWritten(this, h,
            ConfigAccess.extract(oldDword, h.offset(), h.width()),
            ConfigAccess.extract(newDword, h.offset(), h.width()),
            ConfigAccess.extract(written, h.offset(), h.width()));
      }
    }
  }
}
