package io.pciefarm.caps;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pciefarm.config.Capability;
import io.pciefarm.config.ConfigLayout;
import io.pciefarm.config.ConfigSpace;
import io.pciefarm.config.HookedRegister;
import io.pciefarm.config.LayoutBuilder;
import io.pciefarm.config.RegisterListener;
import java.util.ArrayList;
import java.util.List;

/**
 * Measures a register's per-bit behaviour from outside, through reads and writes only, so the
 * tests check what software sees rather than the masks the code declared.
 */
final class Probe {
  private Probe() {}

  /** A PCI Express layout holding {@code caps}, in order. */
  static ConfigLayout layout(Capability... caps) {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    for (Capability c : caps) {
      b.add(c);
    }
    return b.build();
  }

  static ConfigSpace space(Capability... caps) {
    return new ConfigSpace(layout(caps));
  }

  static int all(int width) {
    return width == 4 ? -1 : (1 << (width * 8)) - 1;
  }

  /**
   * The bits software can store: write all ones, then all zeros, and see which bits followed.
   * RW1C bits must be clear before the call; the register is restored afterwards.
   */
  static int rwBits(ConfigSpace s, int offset, int width) {
    int before = s.read(offset, width);
    s.write(offset, width, all(width));
    int ones = s.read(offset, width);
    s.write(offset, width, 0);
    int zeros = s.read(offset, width);
    s.hardwareUpdate(offset, width, all(width), before);
    return ones ^ zeros;
  }

  /**
   * The bits a write of 1 clears: the hardware sets every bit, software writes all ones, and
   * the bits that read 0 afterwards are RW1C (or triggers, which never read 1). Restores the
   * register.
   */
  static int w1cBits(ConfigSpace s, int offset, int width) {
    int before = s.read(offset, width);
    s.hardwareUpdate(offset, width, 0, all(width));
    s.write(offset, width, all(width));
    int after = s.read(offset, width);
    s.hardwareUpdate(offset, width, all(width), before);
    return ~after & all(width);
  }

  /** Sets {@code bits} from the hardware side, writes 0, and returns which of them remain. */
  static int afterWritingZeroToSetBits(ConfigSpace s, int offset, int width, int bits) {
    s.hardwareUpdate(offset, width, 0, bits);
    s.write(offset, width, 0);
    return s.read(offset, width) & bits;
  }

  /**
   * The bits a warm reset keeps: the register is set to the inverse of its reset value, the
   * space is warm-reset, and the bits that did not return to their reset value are sticky.
   * Resets the whole space (cold) afterwards.
   */
  static int stickyBits(ConfigSpace s, int offset, int width) {
    int reset = s.layout().defaultValue(offset, width);
    s.hardwareUpdate(offset, width, all(width), ~reset);
    s.reset(true);
    int kept = s.read(offset, width) ^ reset;
    s.hardwareUpdate(offset, width, all(width), ~reset);
    s.reset(false);
    assertEquals(reset, s.read(offset, width), "a cold reset must restore every bit");
    return kept;
  }

  /** Hex equality with a readable message. */
  static void assertHex(int expected, int actual, String what) {
    assertEquals(expected, actual, () -> String.format("%s: expected 0x%x, got 0x%x", what,
        expected, actual));
  }

  /** One listener call. */
  record Call(HookedRegister register, int oldValue, int newValue, int written) {}

  /** A listener that records every call. */
  static final class Recorder implements RegisterListener {
    final List<Call> calls = new ArrayList<>();

    @Override
    public void registerWritten(ConfigSpace space, HookedRegister register, int oldValue,
        int newValue, int written) {
      calls.add(new Call(register, oldValue, newValue, written));
    }

    Call only() {
      assertEquals(1, calls.size(), () -> "expected one listener call, got " + calls);
      return calls.get(0);
    }
  }

  static Recorder record(ConfigSpace s) {
    Recorder r = new Recorder();
    s.listener(r);
    return r;
  }
}
