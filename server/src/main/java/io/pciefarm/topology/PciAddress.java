package io.pciefarm.topology;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A function's address as a person types it: {@code DDDD:BB:DD.F} (segment, bus, device,
 * function, hex), or {@code BB:DD.F} for segment 0, as lspci and sysfs print them.
 */
public record PciAddress(int segment, int bus, int device, int function) implements Comparable<PciAddress> {
  private static final Pattern FORM = Pattern.compile(
      "(?:([0-9a-fA-F]{1,4}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\\.([0-7])");

  public PciAddress {
    if (segment < 0 || segment > 0xFFFF) {
      throw new IllegalArgumentException("segment " + segment + " is outside 0..ffff");
    }
    if (bus < 0 || bus > 0xFF) {
      throw new IllegalArgumentException("bus " + bus + " is outside 0..ff");
    }
    if (device < 0 || device > 31) {
      throw new IllegalArgumentException("device " + device + " is outside 0..1f");
    }
    if (function < 0 || function > 7) {
      throw new IllegalArgumentException("function " + function + " is outside 0..7");
    }
  }

  /**
   * Parses {@code DDDD:BB:DD.F} or {@code BB:DD.F}.
   *
   * @throws IllegalArgumentException saying what form was expected
   */
  public static PciAddress parse(String text) {
    Matcher m = text == null ? null : FORM.matcher(text.trim());
    if (m == null || !m.matches()) {
      throw new IllegalArgumentException("'" + text
          + "' is not a PCI address: expected DDDD:BB:DD.F, e.g. 0000:03:00.0");
    }
    int segment = m.group(1) == null ? 0 : Integer.parseInt(m.group(1), 16);
    return new PciAddress(segment, Integer.parseInt(m.group(2), 16),
        Integer.parseInt(m.group(3), 16), Integer.parseInt(m.group(4)));
  }

  /** Device and function in one byte, as routing IDs carry them. */
  public int devfn() {
    return device << 3 | function;
  }

  /** {@code DDDD:BB:DD.F}, lower-case hex, as lspci -D prints it. */
  @Override
  public String toString() {
    return text(segment, bus, device, function);
  }

  /**
   * {@code DDDD:BB:DD.F}, or {@code DDDD:??:DD.F} for a negative {@code bus} (a function no bus
   * number reaches). By hand: String.format costs ~70x more, and reset plans name every
   * function they reach.
   */
  static String text(int segment, int bus, int device, int function) {
    char[] c = new char[12];
    hex(c, 0, segment, 4);
    c[4] = ':';
    if (bus < 0) {
      c[5] = '?';
      c[6] = '?';
    } else {
      hex(c, 5, bus, 2);
    }
    c[7] = ':';
    hex(c, 8, device, 2);
    c[10] = '.';
    c[11] = (char) ('0' + function);
    return new String(c);
  }

  /** Writes the low {@code digits} hex digits of {@code value} at {@code at}, lower case. */
  private static void hex(char[] c, int at, int value, int digits) {
    for (int i = digits - 1; i >= 0; i--) {
      c[at + i] = Character.forDigit(value & 0xF, 16);
      value >>>= 4;
    }
  }

  @Override
  public int compareTo(PciAddress o) {
    int c = Integer.compare(segment, o.segment);
    if (c == 0) {
      c = Integer.compare(bus, o.bus);
    }
    return c != 0 ? c : Integer.compare(devfn(), o.devfn());
  }
}
