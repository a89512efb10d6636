package io.pciefarm.export;

import io.pciefarm.config.ConfigSpace;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntUnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Config space as the hex dumps {@code lspci -x}, {@code -xxx} and {@code -xxxx} print, which
 * {@code lspci -F FILE} reads back and decodes as if they were live hardware.
 *
 * <h2>The format</h2>
 * Per function, a header line {@code DDDD:BB:DD.F name}: the address in lower-case hex (segment,
 * bus, device; the function as one digit), then <em>a space</em>, then free text. lspci's dump
 * reader recognises a header only with that space and silently ignores the line without it. Then
 * lines of 16 bytes, {@code OFF: xx xx ... xx}: the offset in hex with at least two digits
 * ({@code 00:} .. {@code f0:}, then {@code 100:} .. {@code ff0:}), a colon, and each byte as a
 * space and two lower-case hex digits, in address order (so a dword reads little-endian). After
 * each function's bytes an empty line, as lspci prints one after every function; so the text
 * ends with {@code "\n\n"}. Functions are written in the order given; lspci sorts them itself.
 *
 * <h2>How much is dumped</h2>
 * {@link DumpDepth} says how much lspci would print: 64 bytes for {@code -x} (128 for a CardBus
 * bridge, header type 2, whose header is that long), 256 for {@code -xxx}, 4096 for
 * {@code -xxxx}. Never more than the function has: lspci's {@code -xxxx} reads the extended space
 * only if the read succeeds, and for a conventional function (256 bytes) it does not, so lspci
 * prints 256 bytes. This writer does the same, and never calls the dword reader past the
 * function's config size. That matters on the way back too: {@code lspci -F} serves only as many
 * bytes as a function's dump holds and fails reads beyond them, so a 256-byte function decodes
 * as conventional, with no extended capability list at all.
 *
 * <h2>Limits lspci's reader imposes</h2>
 * It reads lines of at most 253 bytes (a longer one is a fatal "line too long"), so a name may
 * take {@value #MAX_NAME_BYTES} bytes of UTF-8; it cannot read a NUL; and it stops a line at
 * CR/LF, so a name may contain none of those.
 */
public final class LspciDump {
  /** Bytes of UTF-8 a function name may take: lspci reads header lines of at most 253 bytes. */
  public static final int MAX_NAME_BYTES = 240;
  /** Longest line lspci's dump reader accepts, in bytes, without its line terminator. */
  static final int MAX_LINE_BYTES = 253;
  private static final int CONVENTIONAL_SIZE = 256;
  private static final int EXPRESS_SIZE = 4096;
  private static final int CARDBUS_HEADER_BYTES = 128;
  private static final int HEADER_TYPE_CARDBUS = 2;
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private LspciDump() {}

  /** How much of each function a dump holds, and the lspci option that prints as much. */
  public enum DumpDepth {
    /** The standard header: {@code lspci -x} (64 bytes; 128 for a CardBus bridge). */
    STANDARD(64, "-x"),
    /** The whole conventional space: {@code lspci -xxx}. */
    FULL(256, "-xxx"),
    /** The whole PCI Express space: {@code lspci -xxxx} (256 bytes of a conventional function). */
    EXTENDED(4096, "-xxxx");

    private final int bytes;
    private final String lspciOption;

    DumpDepth(int bytes, String lspciOption) {
      this.bytes = bytes;
      this.lspciOption = lspciOption;
    }

    /** Bytes dumped of a function whose config space is at least this large. */
    public int bytes() {
      return bytes;
    }

    /** The lspci option that prints a dump of this depth, e.g. {@code -xxx}. */
    public String lspciOption() {
      return lspciOption;
    }
  }

  /**
   * One function to dump: its address, the free text after the address, and where its config
   * space comes from.
   *
   * @param segment PCI segment (domain), 0..0xffff
   * @param bus 0..0xff
   * @param device 0..0x1f
   * @param function 0..7
   * @param name text after the address; lspci ignores it (it decodes names from the IDs in the
   *     bytes). At most {@value LspciDump#MAX_NAME_BYTES} bytes of UTF-8, no CR, LF or NUL.
   * @param dwordReader dword index (byte offset / 4) to its value; called only for indices below
   *     {@code configSize / 4}, each at most once per dump
   * @param configSize 256 (conventional PCI) or 4096 (PCI Express)
   */
  public record DumpedFunction(int segment, int bus, int device, int function, String name,
      IntUnaryOperator dwordReader, int configSize) {
    /** @throws IllegalArgumentException naming the field and the value that is out of range */
    public DumpedFunction {
      checkRange("segment", segment, 0xffff);
      checkRange("bus", bus, 0xff);
      checkRange("device", device, 0x1f);
      checkRange("function", function, 7);
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(dwordReader, "dwordReader");
      if (configSize != CONVENTIONAL_SIZE && configSize != EXPRESS_SIZE) {
        throw new IllegalArgumentException("configSize " + configSize
            + " of " + LspciDump.address(segment, bus, device, function)
            + " is neither 256 (conventional PCI) nor 4096 (PCI Express)");
      }
      checkName(LspciDump.address(segment, bus, device, function), name);
    }

    /** A live function: reads {@code space} as the dump is written. */
    public static DumpedFunction of(int segment, int bus, int device, int function, String name,
        ConfigSpace space) {
      return new DumpedFunction(segment, bus, device, function, name, space::readDword,
          space.layout().size());
    }

    /** The address as lspci writes it in a dump: {@code DDDD:BB:DD.F}. */
    public String address() {
      return LspciDump.address(segment, bus, device, function);
    }
  }

  /**
   * One function read back from a dump.
   *
   * @param segment PCI segment (domain); 0 when the header line had none
   * @param bus 0..0xff
   * @param device 0..0x1f
   * @param function 0..7
   * @param name the text after the address and its space (may be empty)
   * @param config the bytes the dump holds, from offset 0 (a copy is kept and handed out)
   */
  public record ParsedFunction(int segment, int bus, int device, int function, String name,
      byte[] config) {
    public ParsedFunction {
      Objects.requireNonNull(name, "name");
      config = config.clone();
    }

    /** A copy of the dumped bytes. */
    @Override
    public byte[] config() {
      return config.clone();
    }

    /** Number of bytes the dump holds for this function. */
    public int length() {
      return config.length;
    }

    /** The unsigned byte at {@code offset}. */
    public int readByte(int offset) {
      Objects.checkIndex(offset, config.length);
      return config[offset] & 0xff;
    }

    /**
     * The dword at {@code index * 4}, little-endian, as a {@link DumpedFunction#dwordReader}.
     *
     * @throws IndexOutOfBoundsException past the dumped bytes
     */
    public int readDword(int index) {
      Objects.checkFromIndexSize(index * 4, 4, config.length);
      int at = index * 4;
      return (config[at] & 0xff) | (config[at + 1] & 0xff) << 8 | (config[at + 2] & 0xff) << 16
          | (config[at + 3] & 0xff) << 24;
    }

    /** The address as lspci writes it in a dump: {@code DDDD:BB:DD.F}. */
    public String address() {
      return LspciDump.address(segment, bus, device, function);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ParsedFunction p && p.segment == segment && p.bus == bus
          && p.device == device && p.function == function && p.name.equals(name)
          && Arrays.equals(p.config, config);
    }

    @Override
    public int hashCode() {
      return Objects.hash(segment, bus, device, function, name) * 31 + Arrays.hashCode(config);
    }

    @Override
    public String toString() {
      return "ParsedFunction[" + address() + " " + name + ", " + config.length + " bytes]";
    }
  }

  /** {@code DDDD:BB:DD.F} in lower-case hex, as lspci prints an address with its domain. */
  public static String address(int segment, int bus, int device, int function) {
    StringBuilder sb = new StringBuilder(12);
    appendAddress(sb, segment, bus, device, function);
    return sb.toString();
  }

  /**
   * The dump of {@code functions}, in order, at {@code depth}.
   *
   * @throws IllegalArgumentException if two functions have the same address
   */
  public static String format(List<DumpedFunction> functions, DumpDepth depth) {
    StringBuilder sb = new StringBuilder(functions.size() * estimate(depth));
    try {
      write(sb, functions, depth);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a StringBuilder never throws
    }
    return sb.toString();
  }

  /**
   * Writes the dump of {@code functions}, one function at a time, to {@code out}. The addresses
   * are checked before anything is written.
   *
   * @throws IllegalArgumentException if two functions have the same address
   * @throws IOException from {@code out}
   */
  public static void write(Appendable out, List<DumpedFunction> functions, DumpDepth depth)
      throws IOException {
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(depth, "depth");
    Map<Long, Integer> seen = new HashMap<>();
    int i = 0;
    for (DumpedFunction f : functions) {
      Objects.requireNonNull(f, "functions[" + i + "]");
      Integer earlier = seen.putIfAbsent(key(f.segment, f.bus, f.device, f.function), i);
      if (earlier != null) {
        throw new IllegalArgumentException("function " + f.address() + " is listed twice, at "
            + earlier + " and " + i + "; lspci would show both");
      }
      i++;
    }
    Writer writer = new Writer(depth);
    for (DumpedFunction f : functions) {
      writer.write(out, f);
    }
  }

  /**
   * Writes one function's block (header line, bytes, empty line) to {@code out}: for callers that
   * stream functions as they find them, and keep their addresses distinct themselves.
   */
  public static void write(Appendable out, DumpedFunction function, DumpDepth depth)
      throws IOException {
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(function, "function");
    new Writer(Objects.requireNonNull(depth, "depth")).write(out, function);
  }

  /**
   * Bytes lspci prints of a function at {@code depth}: the depth's size, capped by the function's
   * config size, and 128 rather than 64 for a CardBus bridge.
   *
   * @param headerType the Header Type byte (offset 0x0E); bit 7, multi-function, is ignored
   */
  public static int dumpedBytes(DumpDepth depth, int configSize, int headerType) {
    int n = Math.min(depth.bytes(), configSize);
    if (depth == DumpDepth.STANDARD && (headerType & 0x7f) == HEADER_TYPE_CARDBUS) {
      n = CARDBUS_HEADER_BYTES;
    }
    return n;
  }

  /** Formats blocks with one reusable buffer; one per call, so not shared between threads. */
  private static final class Writer {
    private final DumpDepth depth;
    private final int[] dwords;
    private final StringBuilder sb;

    Writer(DumpDepth depth) {
      this.depth = depth;
      this.dwords = new int[Math.max(depth.bytes(), CARDBUS_HEADER_BYTES) / 4];
      this.sb = new StringBuilder(estimate(depth));
    }

    void write(Appendable out, DumpedFunction f) throws IOException {
      // Read first, format after: the dump is as close to one snapshot as per-dword reads allow.
      int limit = Math.min(depth.bytes(), f.configSize()) / 4;
      IntUnaryOperator reader = f.dwordReader();
      int headerDwords = Math.min(limit, CARDBUS_HEADER_BYTES / 4);
      for (int i = 0; i < headerDwords; i++) {
        dwords[i] = reader.applyAsInt(i);
      }
      int bytes = dumpedBytes(depth, f.configSize(), (dwords[3] >>> 16) & 0xff); // 0x0E
      for (int i = headerDwords; i < bytes / 4; i++) {
        dwords[i] = reader.applyAsInt(i);
      }
      sb.setLength(0);
      appendAddress(sb, f.segment(), f.bus(), f.device(), f.function());
      sb.append(' ').append(f.name()).append('\n');
      for (int line = 0; line < bytes; line += 16) {
        if (line >= 0x100) {
          sb.append(HEX[line >>> 8]);
        }
        sb.append(HEX[(line >>> 4) & 0xf]).append(HEX[line & 0xf]).append(':');
        for (int d = line / 4; d < line / 4 + 4; d++) {
          int dword = dwords[d];
          for (int shift = 0; shift < 32; shift += 8) {
            int b = (dword >>> shift) & 0xff;
            sb.append(' ').append(HEX[b >>> 4]).append(HEX[b & 0xf]);
          }
        }
        sb.append('\n');
      }
      sb.append('\n');
      out.append(sb);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  /** Segment (4 to 6 hex digits, optional), bus, device, function, then the rest of the line. */
  private static final Pattern HEADER = Pattern.compile(
      "(?:(\\p{XDigit}{4,6}):)?(\\p{XDigit}{2}):(\\p{XDigit}{2})\\.(\\p{XDigit})(.*)");
  /** Offset (2 to 8 hex digits, as lspci accepts), colon, space, the bytes. */
  private static final Pattern DATA = Pattern.compile("(\\p{XDigit}{2,8}): (.*)");
  private static final Pattern BYTE = Pattern.compile("\\p{XDigit}{2}");

  /**
   * Reads a dump in the format {@link #format} writes and {@code lspci -x}/{@code -xxx}/
   * {@code -xxxx} print (with or without the domain in the address). Stricter than lspci, which
   * skips lines it does not understand: here every line must be a header, a byte line that
   * continues its function's bytes from offset 0 without a gap, or empty; each function needs at
   * least the 64-byte header lspci reads first. CRLF line ends are accepted, as lspci does.
   *
   * @throws IllegalArgumentException starting {@code "line N: "} for the first malformed line
   */
  public static List<ParsedFunction> parse(String text) {
    Objects.requireNonNull(text, "text");
    List<ParsedFunction> result = new ArrayList<>();
    if (text.isEmpty()) {
      return result;
    }
    if (!text.endsWith("\n")) {
      int last = (int) text.chars().filter(c -> c == '\n').count() + 1;
      throw new IllegalArgumentException("line " + last
          + ": the last line has no line terminator; lspci -F rejects an unterminated dump");
    }
    String[] lines = text.substring(0, text.length() - 1).split("\n", -1);
    Map<Long, Integer> seen = new HashMap<>();
    Pending current = null;
    boolean ended = false; // an empty line closed the previous function
    for (int i = 0; i < lines.length; i++) {
      int lineNo = i + 1;
      String line = lines[i];
      checkLineLength(lineNo, line);
      if (line.endsWith("\r")) {
        line = line.substring(0, line.length() - 1);
      }
      if (line.isEmpty()) {
        if (current != null) {
          result.add(current.finish());
          current = null;
          ended = true;
        }
        continue;
      }
      Matcher h = HEADER.matcher(line);
      if (h.matches()) {
        if (current != null) {
          result.add(current.finish());
        }
        current = header(lineNo, line, h, seen);
        ended = false;
        continue;
      }
      Matcher d = DATA.matcher(line);
      if (d.matches()) {
        if (current == null) {
          throw new IllegalArgumentException("line " + lineNo + (ended
              ? ": byte line after the empty line that ended the previous function; a new"
                  + " function starts with a header line 'DDDD:BB:DD.F name'"
              : ": byte line before any function header line 'DDDD:BB:DD.F name'"));
        }
        current.bytes(lineNo, d);
        continue;
      }
      if (line.isBlank()) {
        throw new IllegalArgumentException("line " + lineNo + ": only white space; the line"
            + " between functions must be empty (lspci does not take this one as a separator)");
      }
      throw new IllegalArgumentException("line " + lineNo + ": '" + excerpt(line)
          + "' is neither a function header 'DDDD:BB:DD.F name', a byte line 'OFF: xx xx ...'"
          + " nor an empty line");
    }
    if (current != null) {
      result.add(current.finish());
    }
    return result;
  }

  private static Pending header(int lineNo, String line, Matcher h, Map<Long, Integer> seen) {
    String rest = h.group(5);
    String addr = line.substring(0, line.length() - rest.length());
    if (rest.isEmpty() || rest.charAt(0) != ' ') {
      throw new IllegalArgumentException("line " + lineNo + ": function address '" + addr
          + "' must be followed by a space; lspci -F ignores a header line without one");
    }
    int segment = h.group(1) == null ? 0 : Integer.parseInt(h.group(1), 16);
    int bus = Integer.parseInt(h.group(2), 16);
    int device = Integer.parseInt(h.group(3), 16);
    int function = Integer.parseInt(h.group(4), 16);
    if (device > 0x1f) {
      throw new IllegalArgumentException("line " + lineNo + ": device 0x" + h.group(3)
          + " of '" + addr + "' is outside 0x00..0x1f");
    }
    if (function > 7) {
      throw new IllegalArgumentException("line " + lineNo + ": function " + h.group(4)
          + " of '" + addr + "' is outside 0..7");
    }
    Integer earlier = seen.putIfAbsent(key(segment, bus, device, function), lineNo);
    if (earlier != null) {
      throw new IllegalArgumentException("line " + lineNo + ": function "
          + address(segment, bus, device, function) + " already appeared at line " + earlier);
    }
    return new Pending(lineNo, segment, bus, device, function, rest.substring(1));
  }

  /** A function whose header has been read and whose bytes are being collected. */
  private static final class Pending {
    final int headerLine;
    final int segment;
    final int bus;
    final int device;
    final int function;
    final String name;
    final byte[] bytes = new byte[EXPRESS_SIZE];
    int length;

    Pending(int headerLine, int segment, int bus, int device, int function, String name) {
      this.headerLine = headerLine;
      this.segment = segment;
      this.bus = bus;
      this.device = device;
      this.function = function;
      this.name = name;
    }

    void bytes(int lineNo, Matcher d) {
      long offset = Long.parseLong(d.group(1), 16);
      if (offset != length) {
        throw new IllegalArgumentException(String.format(
            "line %d: offset 0x%x does not continue the bytes of %s, which end at 0x%x",
            lineNo, offset, address(), length));
      }
      String items = d.group(2);
      if (items.endsWith(" ")) {
        items = items.substring(0, items.length() - 1); // lspci tolerates one trailing space
      }
      if (items.isEmpty()) {
        throw new IllegalArgumentException("line " + lineNo + ": no bytes after the offset");
      }
      String[] parts = items.split(" ", -1);
      if (parts.length > 16) {
        throw new IllegalArgumentException("line " + lineNo + ": " + parts.length
            + " bytes on one line; a line holds at most 16");
      }
      for (int k = 0; k < parts.length; k++) {
        String p = parts[k];
        if (!BYTE.matcher(p).matches()) {
          throw new IllegalArgumentException("line " + lineNo + ": item " + (k + 1) + " '"
              + excerpt(p) + "' is not a byte of two hex digits separated by one space");
        }
      }
      if (length + parts.length > EXPRESS_SIZE) {
        throw new IllegalArgumentException(String.format(
            "line %d: bytes run past 0x%x; a config space has at most 4096 bytes", lineNo,
            EXPRESS_SIZE));
      }
      for (String p : parts) {
        bytes[length++] = (byte) Integer.parseInt(p, 16);
      }
    }

    String address() {
      return LspciDump.address(segment, bus, device, function);
    }

    ParsedFunction finish() {
      if (length < DumpDepth.STANDARD.bytes()) {
        throw new IllegalArgumentException("line " + headerLine + ": function " + address()
            + " has " + length + " bytes; lspci needs at least the 64-byte header");
      }
      return new ParsedFunction(segment, bus, device, function, name,
          Arrays.copyOf(bytes, length));
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Shared helpers

  private static void appendAddress(StringBuilder sb, int segment, int bus, int device,
      int function) {
    String seg = Integer.toHexString(segment);
    for (int i = seg.length(); i < 4; i++) {
      sb.append('0');
    }
    sb.append(seg).append(':')
        .append(HEX[(bus >>> 4) & 0xf]).append(HEX[bus & 0xf]).append(':')
        .append(HEX[(device >>> 4) & 0xf]).append(HEX[device & 0xf]).append('.')
        .append(function);
  }

  private static long key(int segment, int bus, int device, int function) {
    return ((long) segment << 16) | (bus << 8) | (device << 3) | function;
  }

  private static void checkRange(String what, int value, int max) {
    if (value < 0 || value > max) {
      throw new IllegalArgumentException(what + " " + value
          + (value >= 0 ? " (0x" + Integer.toHexString(value) + ")" : "") + " is outside 0.."
          + max + " (0x0..0x" + Integer.toHexString(max) + ")");
    }
  }

  private static void checkName(String address, String name) {
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      String what = c == '\n' ? "a line feed (\\n)" : c == '\r' ? "a carriage return (\\r)"
          : c == 0 ? "a NUL character" : null;
      if (what != null) {
        throw new IllegalArgumentException("name of " + address + " contains " + what
            + " at index " + i + "; the header line must be a single line lspci -F can read");
      }
    }
    if (name.length() > MAX_NAME_BYTES / 3) {
      int bytes = name.getBytes(StandardCharsets.UTF_8).length;
      if (bytes > MAX_NAME_BYTES) {
        throw new IllegalArgumentException("name of " + address + " is " + bytes
            + " bytes of UTF-8; lspci -F reads lines of at most " + MAX_LINE_BYTES
            + " bytes, which leaves " + MAX_NAME_BYTES + " for the name");
      }
    }
  }

  private static void checkLineLength(int lineNo, String line) {
    if (line.length() > MAX_LINE_BYTES / 3) {
      int bytes = line.getBytes(StandardCharsets.UTF_8).length;
      if (bytes > MAX_LINE_BYTES) {
        throw new IllegalArgumentException("line " + lineNo + ": " + bytes
            + " bytes long; lspci -F reads lines of at most " + MAX_LINE_BYTES + " bytes");
      }
    }
  }

  private static String excerpt(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  /** Characters of one function's block at {@code depth}, for sizing buffers. */
  private static int estimate(DumpDepth depth) {
    return 16 + MAX_NAME_BYTES / 4 + depth.bytes() / 16 * 53 + 1;
  }
}
