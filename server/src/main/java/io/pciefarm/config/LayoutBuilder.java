package io.pciefarm.config;

import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.ExtendedCapabilities;
import io.pciefarm.spec.Header;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Assembles a {@link ConfigLayout}: reset values, per-bit behaviour, hooked registers and the
 * capability lists. Register helpers take the register's own offset and width and bits in the
 * register's own terms; the builder shifts them into place. Masks accumulate: calling
 * {@link #rw} twice on one register adds both sets of bits.
 *
 * <p>Capabilities are placed so they never overlap (every byte has one owner) and the lists stay
 * well formed: the builder writes each ID, next pointer and extended header itself.
 */
public final class LayoutBuilder {
  private static final int CONVENTIONAL_CAP_START = 0x40;

  private final int size;
  private final int[] values;
  private final int[] wmask;
  private final int[] w1cmask;
  private final int[] sticky;
  private final int[] trigger;
  private final HookedRegister[][] hooks;
  private final BitSet owned = new BitSet();
  private final List<ConfigLayout.Placement> capabilities = new ArrayList<>();
  private int lastCapability = -1;
  private int lastExtended = -1;
  private int nextCapability = CONVENTIONAL_CAP_START;
  private int nextExtended = CapabilityId.EXTENDED_START;

  /** @param size {@link ConfigLayout#PCIE_SIZE} or {@link ConfigLayout#CONVENTIONAL_SIZE} */
  public LayoutBuilder(int size) {
    if (size != ConfigLayout.PCIE_SIZE && size != ConfigLayout.CONVENTIONAL_SIZE) {
      throw new IllegalArgumentException("config space size must be 256 or 4096, not " + size);
    }
    this.size = size;
    int dwords = size / 4;
    values = new int[dwords];
    wmask = new int[dwords];
    w1cmask = new int[dwords];
    sticky = new int[dwords];
    trigger = new int[dwords];
    hooks = new HookedRegister[dwords][];
    owned.set(0, CONVENTIONAL_CAP_START);
  }

  public int size() {
    return size;
  }

  /** Sets the reset value of a register. */
  public LayoutBuilder value(int offset, int width, int value) {
    ConfigAccess.check(offset, width, size);
    int shift = (offset & 3) * 8;
    int mask = ConfigAccess.widthMask(width) << shift;
    int i = offset >>> 2;
    values[i] = (values[i] & ~mask) | ((value << shift) & mask);
    return this;
  }

  /** Reads back a reset value set so far. */
  public int value(int offset, int width) {
    ConfigAccess.check(offset, width, size);
    return ConfigAccess.extract(values[offset >>> 2], offset, width);
  }

  /** Makes {@code bits} of the register read-write. */
  public LayoutBuilder rw(int offset, int width, int bits) {
    return or(wmask, offset, width, bits);
  }

  /** Makes {@code bits} of the register write-one-to-clear. */
  public LayoutBuilder rw1c(int offset, int width, int bits) {
    return or(w1cmask, offset, width, bits);
  }

  /** Makes {@code bits} of the register sticky: kept by warm resets (RWS, RW1CS, ROS). */
  public LayoutBuilder sticky(int offset, int width, int bits) {
    return or(sticky, offset, width, bits);
  }

  /** Makes {@code bits} write-one actions that always read 0 (Initiate FLR, Retrain Link). */
  public LayoutBuilder trigger(int offset, int width, int bits) {
    return or(trigger, offset, width, bits);
  }

  /** Makes {@code bits} read-only again, whatever was declared before. */
  public LayoutBuilder readOnly(int offset, int width, int bits) {
    andNot(wmask, offset, width, bits);
    andNot(w1cmask, offset, width, bits);
    return andNot(trigger, offset, width, bits);
  }

  /** Attaches behaviour to a register: its writes are reported to the instance's listener. */
  public LayoutBuilder hook(Register register, int offset, int width) {
    ConfigAccess.check(offset, width, size);
    HookedRegister h = new HookedRegister(register, offset, width);
    int i = offset >>> 2;
    HookedRegister[] old = hooks[i];
    if (old == null) {
      hooks[i] = new HookedRegister[] {h};
    } else {
      for (HookedRegister o : old) {
        if (o.overlaps(offset, width)) {
          throw new IllegalStateException(register + " overlaps " + o.register() + " at 0x"
              + Integer.toHexString(offset));
        }
      }
      HookedRegister[] grown = java.util.Arrays.copyOf(old, old.length + 1);
      grown[old.length] = h;
      hooks[i] = grown;
    }
    return this;
  }

  /**
   * Claims {@code length} bytes at {@code offset} for one structure.
   *
   * @throws IllegalStateException if any byte already has an owner
   */
  public LayoutBuilder claim(int offset, int length, String owner) {
    if (offset < 0 || length <= 0 || offset + length > size) {
      throw new IllegalStateException(String.format("%s at 0x%x+%d does not fit in %d bytes",
          owner, offset, length, size));
    }
    int clash = owned.nextSetBit(offset);
    if (clash >= 0 && clash < offset + length) {
      throw new IllegalStateException(String.format("%s at 0x%x+%d overlaps byte 0x%x", owner,
          offset, length, clash));
    }
    owned.set(offset, offset + length);
    return this;
  }

  /** Places {@code cap} at the next free dword-aligned offset of its list. */
  public int add(Capability cap) {
    int at = cap.extended() ? nextExtended : nextCapability;
    int end = cap.extended() ? size : ConfigLayout.CONVENTIONAL_SIZE;
    int length = Math.max(cap.length(), 1);
    // Skip bytes claimed without a capability (claim()); addAt reports a list that is full.
    for (int clash = owned.nextSetBit(at); clash >= 0 && clash < at + length && at < end;
        clash = owned.nextSetBit(at)) {
      at = align4(owned.nextClearBit(clash));
    }
    return addAt(at, cap);
  }

  /**
   * Places {@code cap} at {@code offset}, links it at the end of its list, and installs it.
   *
   * @return the offset
   * @throws IllegalStateException if it overlaps anything or leaves its list's range
   */
  public int addAt(int offset, Capability cap) {
    int length = cap.length();
    if ((offset & 3) != 0) {
      throw new IllegalStateException(String.format("capability 0x%x at 0x%x is not dword aligned",
          cap.id(), offset));
    }
    String name = String.format("%s capability 0x%x", cap.extended() ? "extended" : "",
        cap.id()).trim();
    if (cap.extended()) {
      if (size != ConfigLayout.PCIE_SIZE) {
        throw new IllegalStateException(name + " needs a 4096-byte (PCI Express) config space");
      }
      if (offset < CapabilityId.EXTENDED_START) {
        throw new IllegalStateException(name + " must sit at 0x100 or above");
      }
      if (lastExtended < 0 && offset != CapabilityId.EXTENDED_START) {
        throw new IllegalStateException("the first extended capability must sit at 0x100");
      }
      claim(offset, length, name);
      value(offset, 4, ExtendedCapabilities.header(cap.id(), cap.version(), 0));
      if (lastExtended >= 0) {
        int prev = value(lastExtended, 4);
        value(lastExtended, 4, prev | (offset << 20));
      }
      lastExtended = offset;
      nextExtended = Math.max(nextExtended, align4(offset + length));
    } else {
      if (offset < CONVENTIONAL_CAP_START || offset + length > ConfigLayout.CONVENTIONAL_SIZE) {
        throw new IllegalStateException(String.format("%s at 0x%x+%d leaves 0x40..0xFF", name,
            offset, length));
      }
      claim(offset, length, name);
      value(offset, 1, cap.id());
      value(offset + 1, 1, 0);
      if (lastCapability >= 0) {
        value(lastCapability + 1, 1, offset);
      } else {
        value(Header.CAPABILITY_LIST, 1, offset);
        value(Header.STATUS, 2, value(Header.STATUS, 2) | Header.STATUS_CAP_LIST);
      }
      lastCapability = offset;
      nextCapability = Math.max(nextCapability, align4(offset + length));
    }
    capabilities.add(new ConfigLayout.Placement(cap.id(), offset, length, cap.extended()));
    cap.install(this, offset);
    return offset;
  }

  /** Offset of the first placed capability with {@code id}, or -1. */
  public int capability(int id, boolean extended) {
    for (ConfigLayout.Placement p : capabilities) {
      if (p.id() == id && p.extended() == extended) {
        return p.offset();
      }
    }
    return -1;
  }

  /**
   * Freezes the layout.
   *
   * @throws IllegalStateException if a bit is declared with two behaviours that exclude each
   *     other (RW and RW1C, or a trigger that is also stored)
   */
  public ConfigLayout build() {
    for (int i = 0; i < wmask.length; i++) {
      int clash = (wmask[i] & w1cmask[i]) | (trigger[i] & (wmask[i] | w1cmask[i]));
      if (clash != 0) {
        throw new IllegalStateException(String.format(
            "dword 0x%x: bits 0x%08x are declared both RW/RW1C/trigger", i * 4, clash));
      }
      if ((values[i] & trigger[i]) != 0) {
        throw new IllegalStateException(String.format(
            "dword 0x%x: trigger bits 0x%08x must reset to 0", i * 4, values[i] & trigger[i]));
      }
    }
    return new ConfigLayout(size, values.clone(), wmask.clone(), w1cmask.clone(), sticky.clone(),
        trigger.clone(), hooks.clone(), capabilities);
  }

  private LayoutBuilder or(int[] masks, int offset, int width, int bits) {
    ConfigAccess.check(offset, width, size);
    masks[offset >>> 2] |= (bits & ConfigAccess.widthMask(width)) << ((offset & 3) * 8);
    return this;
  }

  private LayoutBuilder andNot(int[] masks, int offset, int width, int bits) {
    ConfigAccess.check(offset, width, size);
    masks[offset >>> 2] &= ~((bits & ConfigAccess.widthMask(width)) << ((offset & 3) * 8));
    return this;
  }

  private static int align4(int x) {
    return (x + 3) & ~3;
  }
}
