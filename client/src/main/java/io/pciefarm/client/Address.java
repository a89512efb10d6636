package io.pciefarm.client;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A function address: {@code DDDD:BB:DD.F} as people type it, or packed into one int for the
 * batch path ({@code segment << 16 | bus << 8 | device << 3 | function}).
 */
public record Address(int segment, int bus, int device, int function)
    implements Comparable<Address> {
  private static final Pattern FORM = Pattern.compile(
      "(?:([0-9a-fA-F]{1,4}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\\.([0-7])");

  /** @throws IllegalArgumentException naming the field that is out of range */
  public Address {
    check("segment", segment, 0xFFFF);
    check("bus", bus, 0xFF);
    check("device", device, 0x1F);
    check("function", function, 7);
  }

  private static void check(String what, int value, int max) {
    if (value < 0 || value > max) {
      throw new IllegalArgumentException(String.format("%s 0x%x is outside 0..0x%x", what,
          value, max));
    }
  }

  /**
   * Parses {@code DDDD:BB:DD.F}, or {@code BB:DD.F} for segment 0.
   *
   * @throws IllegalArgumentException saying what was expected
   */
  public static Address parse(String text) {
    Matcher m = text == null ? null : FORM.matcher(text.trim());
    if (m == null || !m.matches()) {
      throw new IllegalArgumentException("'" + text
          + "' is not a PCI address: expected DDDD:BB:DD.F, e.g. 0000:03:00.0");
    }
    return new Address(m.group(1) == null ? 0 : Integer.parseInt(m.group(1), 16),
        Integer.parseInt(m.group(2), 16), Integer.parseInt(m.group(3), 16),
        Integer.parseInt(m.group(4)));
  }

  /** The inverse of {@link #packed()}. */
  public static Address unpack(int packed) {
    return new Address(packed >>> 16, (packed >>> 8) & 0xFF, (packed >>> 3) & 0x1F, packed & 7);
  }

  /** {@code segment << 16 | bus << 8 | device << 3 | function}. */
  public int packed() {
    return segment << 16 | bus << 8 | device << 3 | function;
  }

  public int devfn() {
    return device << 3 | function;
  }

  /** The same function on another segment. */
  public Address withSegment(int newSegment) {
    return new Address(newSegment, bus, device, function);
  }

  @Override
  public String toString() {
    return String.format("%04x:%02x:%02x.%d", segment, bus, device, function);
  }

  @Override
  public int compareTo(Address o) {
    return Integer.compareUnsigned(packed(), o.packed());
  }
}
