package io.pciefarm.grpc;

import io.pciefarm.farm.Farm;
import io.pciefarm.proto.v1.Width;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciAddress;
import java.util.stream.Collectors;

/** Validation of request fields, each failure naming the field and the offending value. */
final class Requests {
  private Requests() {}

  /** Longest client text quoted whole in an error message. */
  static final int MAX_QUOTE = 64;

  /**
   * {@code text} in quotes for an error message, cut short when long: a status message travels
   * in HTTP/2 trailers, whose size the client limits, so echoing a megabyte back would turn a
   * precise INVALID_ARGUMENT into a protocol error.
   */
  static String quote(String text) {
    return text.length() <= MAX_QUOTE ? "'" + text + "'"
        : "'" + text.substring(0, MAX_QUOTE - 16) + "...' (" + text.length() + " characters)";
  }

  /** Parses a typed address, {@code DDDD:BB:DD.F} or {@code BB:DD.F}. */
  static PciAddress address(String field, String text) {
    if (text == null || text.isEmpty()) {
      throw RequestException.invalid(field, field
          + " is missing: give a function address DDDD:BB:DD.F, e.g. 0000:03:00.0");
    }
    try {
      return PciAddress.parse(text);
    } catch (IllegalArgumentException e) {
      // The parser names the text for a malformed one, but only the number for one out of
      // range ("device 32 is outside 0..1f"): say which address that was.
      String m = e.getMessage();
      if (text.length() > MAX_QUOTE) {
        m = quote(text) + " is not a PCI address: expected DDDD:BB:DD.F, e.g. 0000:03:00.0";
      } else if (!m.contains(text)) {
        m = "'" + text + "' is not a PCI address: " + m;
      }
      throw RequestException.invalid(field, m);
    }
  }

  /**
   * The access width in bytes.
   *
   * @param raw the enum's wire value, which may be one this server does not know
   */
  static int width(String field, Width width, int raw) {
    if (width == Width.WIDTH_BYTE || width == Width.WIDTH_WORD || width == Width.WIDTH_DWORD) {
      return width.getNumber();
    }
    throw RequestException.invalid(field, width == Width.WIDTH_UNSPECIFIED
        ? field + " is missing: give WIDTH_BYTE (1), WIDTH_WORD (2) or WIDTH_DWORD (4)"
        : field + " " + raw + " is not WIDTH_BYTE (1), WIDTH_WORD (2) or WIDTH_DWORD (4)");
  }

  /**
   * Checks that an access of {@code width} bytes at {@code offset} stays inside config space.
   * The wire carries the offset as a uint32; Java sees one above 2^31 as negative, and the
   * message must show the number the client sent, not its signed reading.
   */
  static void offset(String field, int offset, int width) {
    if (offset < 0 || offset > 4096 - width) {
      throw RequestException.invalid(field, String.format(
          "%s 0x%x width %d is outside the 4096-byte config space", field,
          Integer.toUnsignedLong(offset), width));
    }
  }

  /** Checks that a value to write fits the access width. */
  static void fits(String field, int value, int width) {
    if (width < 4 && (value & ~((1 << (width * 8)) - 1)) != 0) {
      throw RequestException.invalid(field, String.format(
          "%s 0x%x does not fit in a %d-byte access", field, value, width));
    }
  }

  /** The hierarchy hosting {@code segment}, or NOT_FOUND naming the segments there are. */
  static Hierarchy bySegment(Farm farm, int segment) {
    Hierarchy h = farm.bySegment(segment);
    if (h == null) {
      throw RequestException.notFound(noSegment(farm, segment));
    }
    return h;
  }

  static String noSegment(Farm farm, int segment) {
    String there = farm.list().stream().limit(16)
        .map(x -> String.format("%04x (%s)", x.segment(), x.name()))
        .collect(Collectors.joining(", "));
    return String.format("no hierarchy has segment %04x; %s", segment,
        there.isEmpty() ? "the farm is empty" : "the farm has segments " + there
            + (farm.size() > 16 ? ", ..." : ""));
  }

  /** A hierarchy name that must be given. */
  static String name(String field, String name) {
    if (name == null || name.isEmpty()) {
      throw RequestException.invalid(field, field + " is missing: give a hierarchy name");
    }
    return name;
  }
}
