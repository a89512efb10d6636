package io.pciefarm.export;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.config.ConfigLayout;
import io.pciefarm.config.ConfigSpace;
import io.pciefarm.config.LayoutBuilder;
import io.pciefarm.export.LspciDump.DumpDepth;
import io.pciefarm.export.LspciDump.DumpedFunction;
import io.pciefarm.export.LspciDump.ParsedFunction;
import java.io.IOException;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;

class LspciDumpTest {
  private static final String ZERO_LINE_TAIL =
      " 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n";

  /** A tiny conventional endpoint: IDs, class, header type, a dword at 0x3c and one at 0xfc. */
  private static ConfigSpace tiny() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.CONVENTIONAL_SIZE);
    b.value(0x00, 2, 0x1af4).value(0x02, 2, 0x1041);
    b.value(0x08, 4, 0x02000001); // revision 01, class 02 00 00
    b.value(0x0c, 4, 0x00800010); // cache line 0x10, header type 0x80 (multi-function)
    b.value(0x3c, 4, 0x0000010b); // interrupt line 0x0b, pin INTA
    b.value(0xfc, 4, 0xdeadbeef);
    return new ConfigSpace(b.build());
  }

  private static String standardLines() {
    return "00: f4 1a 41 10 00 00 00 00 01 00 00 02 10 00 80 00\n"
        + "10:" + ZERO_LINE_TAIL
        + "20:" + ZERO_LINE_TAIL
        + "30: 00 00 00 00 00 00 00 00 00 00 00 00 0b 01 00 00\n";
  }

  private static DumpedFunction fn(int seg, int bus, int dev, int func, String name,
      IntUnaryOperator reader, int size) {
    return new DumpedFunction(seg, bus, dev, func, name, reader, size);
  }

  @Test
  void standardDepthIsTheHeaderLineAnd64BytesLittleEndian() {
    String dump = LspciDump.format(
        List.of(DumpedFunction.of(0, 0x03, 0x00, 0, "Ethernet controller", tiny())),
        DumpDepth.STANDARD);
    assertEquals("0000:03:00.0 Ethernet controller\n" + standardLines() + "\n", dump);
  }

  @Test
  void fullDepthIs256BytesWithOffsetsUpToF0() {
    String dump = LspciDump.format(List.of(DumpedFunction.of(0, 0, 2, 0, "x", tiny())),
        DumpDepth.FULL);
    StringBuilder want = new StringBuilder("0000:00:02.0 x\n").append(standardLines());
    for (String off : List.of("40", "50", "60", "70", "80", "90", "a0", "b0", "c0", "d0", "e0")) {
      want.append(off).append(':').append(ZERO_LINE_TAIL);
    }
    want.append("f0: 00 00 00 00 00 00 00 00 00 00 00 00 ef be ad de\n\n");
    assertEquals(want.toString(), dump);
  }

  @Test
  void extendedDepthOfAPcieFunctionIs4096BytesWithThreeDigitOffsets() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    b.value(0x00, 4, 0x10411af4).value(0x100, 4, 0x00010001).value(0xffc, 4, 0xcafef00d);
    String dump = LspciDump.format(
        List.of(DumpedFunction.of(0, 1, 0, 0, "nvme", new ConfigSpace(b.build()))),
        DumpDepth.EXTENDED);
    String[] lines = dump.split("\n", -1);
    // header, 256 byte lines, the empty line, and the empty string after the final newline
    assertEquals(1 + 256 + 2, lines.length);
    assertEquals("0000:01:00.0 nvme", lines[0]);
    assertEquals("00: f4 1a 41 10" + ZERO_LINE_TAIL.substring(12).stripTrailing(), lines[1]);
    assertEquals("f0:" + ZERO_LINE_TAIL.stripTrailing(), lines[16]);
    assertEquals("100: 01 00 01 00" + ZERO_LINE_TAIL.substring(12).stripTrailing(), lines[17]);
    assertEquals("ff0: 00 00 00 00 00 00 00 00 00 00 00 00 0d f0 fe ca", lines[256]);
    for (int i = 0; i < 256; i++) {
      assertTrue(lines[i + 1].startsWith(String.format("%02x: ", i * 16)), lines[i + 1]);
    }
    assertEquals("", lines[257]);
  }

  @Test
  void extendedDepthOfAConventionalFunctionStopsAt256BytesAsLspciDoes() {
    int[] highest = {-1};
    IntUnaryOperator reader = i -> {
      if (i >= 64) {
        throw new AssertionError("dword " + i + " read past the 256-byte config space");
      }
      highest[0] = Math.max(highest[0], i);
      return tiny().readDword(i);
    };
    DumpedFunction f = fn(0, 0, 2, 0, "x", reader, 256);
    String extended = LspciDump.format(List.of(f), DumpDepth.EXTENDED);
    assertEquals(63, highest[0]);
    assertEquals(LspciDump.format(List.of(f), DumpDepth.FULL), extended);
    assertEquals(LspciDump.format(List.of(DumpedFunction.of(0, 0, 2, 0, "x", tiny())),
        DumpDepth.FULL), extended);
  }

  @Test
  void eachDwordIsReadOnceAndOnlyAsFarAsTheDepth() {
    List<Integer> reads = new ArrayList<>();
    DumpedFunction f = fn(0, 0, 0, 0, "", i -> {
      reads.add(i);
      return 0;
    }, 4096);
    LspciDump.format(List.of(f), DumpDepth.STANDARD);
    assertEquals(16, reads.size());
    reads.clear();
    LspciDump.format(List.of(f), DumpDepth.EXTENDED);
    assertEquals(1024, reads.size());
    assertEquals(1024, reads.stream().distinct().count());
  }

  @Test
  void aCardBusBridgeShows128BytesAtStandardDepthLikeLspciX() {
    DumpedFunction cardbus = fn(0, 0, 3, 0, "CardBus bridge", i -> i == 3 ? 0x00820000 : 0, 256);
    String dump = LspciDump.format(List.of(cardbus), DumpDepth.STANDARD);
    assertEquals(1 + 8 + 2, dump.split("\n", -1).length);
    assertTrue(dump.endsWith("\n70:" + ZERO_LINE_TAIL + "\n"), dump);
  }

  @Test
  void functionsFollowEachOtherWithAnEmptyLineAfterEach() {
    DumpedFunction a = fn(0x1234, 0xab, 0x1f, 7, "first", i -> 0x04030201, 256);
    DumpedFunction b = fn(0, 0, 0, 1, "", i -> 0, 256);
    String dump = LspciDump.format(List.of(a, b), DumpDepth.STANDARD);
    String ones = "01 02 03 04 01 02 03 04 01 02 03 04 01 02 03 04\n";
    assertEquals("1234:ab:1f.7 first\n"
        + "00: " + ones + "10: " + ones + "20: " + ones + "30: " + ones
        + "\n"
        + "0000:00:00.1 \n"
        + "00:" + ZERO_LINE_TAIL + "10:" + ZERO_LINE_TAIL + "20:" + ZERO_LINE_TAIL
        + "30:" + ZERO_LINE_TAIL
        + "\n", dump);
    assertEquals("", LspciDump.format(List.of(), DumpDepth.EXTENDED));
  }

  @Test
  void streamingWritesTheSameText() throws IOException {
    List<DumpedFunction> fs = List.of(DumpedFunction.of(0, 0, 2, 0, "x", tiny()),
        DumpedFunction.of(0, 0, 3, 0, "y", tiny()));
    StringWriter all = new StringWriter();
    LspciDump.write(all, fs, DumpDepth.FULL);
    StringBuilder oneByOne = new StringBuilder();
    for (DumpedFunction f : fs) {
      LspciDump.write(oneByOne, f, DumpDepth.FULL);
    }
    String expected = LspciDump.format(fs, DumpDepth.FULL);
    assertEquals(expected, all.toString());
    assertEquals(expected, oneByOne.toString());
  }

  @Test
  void depthsKnowTheirSizeAndLspciOption() {
    assertEquals(64, DumpDepth.STANDARD.bytes());
    assertEquals("-x", DumpDepth.STANDARD.lspciOption());
    assertEquals(256, DumpDepth.FULL.bytes());
    assertEquals("-xxx", DumpDepth.FULL.lspciOption());
    assertEquals(4096, DumpDepth.EXTENDED.bytes());
    assertEquals("-xxxx", DumpDepth.EXTENDED.lspciOption());
    assertEquals(256, LspciDump.dumpedBytes(DumpDepth.EXTENDED, 256, 0));
    assertEquals(128, LspciDump.dumpedBytes(DumpDepth.STANDARD, 256, 0x82));
    assertEquals(64, LspciDump.dumpedBytes(DumpDepth.STANDARD, 4096, 0x81));
  }

  // --- validation ------------------------------------------------------------------------------

  private static String invalid(int seg, int bus, int dev, int func, String name, int size) {
    return assertThrows(IllegalArgumentException.class,
        () -> fn(seg, bus, dev, func, name, i -> 0, size)).getMessage();
  }

  @Test
  void addressFieldsAreCheckedWithTheirRange() {
    assertEquals("segment 65536 (0x10000) is outside 0..65535 (0x0..0xffff)",
        invalid(0x10000, 0, 0, 0, "", 256));
    assertEquals("segment -1 is outside 0..65535 (0x0..0xffff)", invalid(-1, 0, 0, 0, "", 256));
    assertEquals("bus 256 (0x100) is outside 0..255 (0x0..0xff)", invalid(0, 256, 0, 0, "", 256));
    assertEquals("bus -1 is outside 0..255 (0x0..0xff)", invalid(0, -1, 0, 0, "", 256));
    assertEquals("device 32 (0x20) is outside 0..31 (0x0..0x1f)", invalid(0, 0, 32, 0, "", 256));
    assertEquals("device -1 is outside 0..31 (0x0..0x1f)", invalid(0, 0, -1, 0, "", 256));
    assertEquals("function 8 (0x8) is outside 0..7 (0x0..0x7)", invalid(0, 0, 0, 8, "", 256));
    assertEquals("function -1 is outside 0..7 (0x0..0x7)", invalid(0, 0, 0, -1, "", 256));
    // the extremes are fine
    assertEquals("ffff:ff:1f.7", fn(0xffff, 0xff, 0x1f, 7, "", i -> 0, 4096).address());
  }

  @Test
  void configSizeMustBeConventionalOrExpress() {
    assertEquals("configSize 512 of 0000:00:01.0 is neither 256 (conventional PCI) nor 4096"
        + " (PCI Express)", invalid(0, 0, 1, 0, "", 512));
    assertEquals("configSize 64 of 0000:00:01.0 is neither 256 (conventional PCI) nor 4096"
        + " (PCI Express)", invalid(0, 0, 1, 0, "", 64));
  }

  @Test
  void namesMustBeOneLineLspciCanRead() {
    assertEquals("name of 0000:00:01.0 contains a line feed (\\n) at index 3; the header line"
        + " must be a single line lspci -F can read", invalid(0, 0, 1, 0, "two\nlines", 256));
    assertEquals("name of 0000:00:01.0 contains a carriage return (\\r) at index 0; the header"
        + " line must be a single line lspci -F can read", invalid(0, 0, 1, 0, "\rx", 256));
    assertEquals("name of 0000:00:01.0 contains a NUL character at index 1; the header line"
        + " must be a single line lspci -F can read", invalid(0, 0, 1, 0, "a\0", 256));
    fn(0, 0, 1, 0, "n".repeat(240), i -> 0, 256);
    assertEquals("name of 0000:00:01.0 is 241 bytes of UTF-8; lspci -F reads lines of at most"
        + " 253 bytes, which leaves 240 for the name", invalid(0, 0, 1, 0, "n".repeat(241), 256));
    fn(0, 0, 1, 0, "\u20ac".repeat(80), i -> 0, 256); // 3 bytes each: 240
    assertEquals("name of 0000:00:01.0 is 243 bytes of UTF-8; lspci -F reads lines of at most"
        + " 253 bytes, which leaves 240 for the name",
        invalid(0, 0, 1, 0, "\u20ac".repeat(81), 256));
  }

  @Test
  void nullsAreRejected() {
    assertThrows(NullPointerException.class, () -> fn(0, 0, 0, 0, null, i -> 0, 256));
    assertThrows(NullPointerException.class, () -> fn(0, 0, 0, 0, "", null, 256));
  }

  @Test
  void aFunctionListedTwiceIsRejectedBeforeAnythingIsWritten() {
    DumpedFunction a = fn(0, 0, 1, 0, "a", i -> 0, 256);
    DumpedFunction b = fn(0, 0, 2, 0, "b", i -> 0, 256);
    DumpedFunction again = fn(0, 0, 1, 0, "again", i -> 0, 4096);
    StringBuilder out = new StringBuilder();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LspciDump.write(out, List.of(a, b, again), DumpDepth.STANDARD));
    assertEquals("function 0000:00:01.0 is listed twice, at 0 and 2; lspci would show both",
        e.getMessage());
    assertEquals("", out.toString());
  }

  // --- parsing ---------------------------------------------------------------------------------

  @Test
  void parseReadsBackEveryDepth() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    for (int off = 0; off < 4096; off += 4) {
      b.value(off, 4, off * 0x01010101 ^ 0x5a5aa5a5);
    }
    ConfigSpace pcie = new ConfigSpace(b.build());
    List<DumpedFunction> fs = List.of(DumpedFunction.of(0x10, 0x20, 0x1e, 6, "pcie: x", pcie),
        DumpedFunction.of(0, 0, 2, 0, "", tiny()));
    for (DumpDepth depth : DumpDepth.values()) {
      String dump = LspciDump.format(fs, depth);
      List<ParsedFunction> parsed = LspciDump.parse(dump);
      assertEquals(2, parsed.size());
      ParsedFunction p = parsed.get(0);
      assertEquals("0010:20:1e.6", p.address());
      assertEquals("pcie: x", p.name());
      assertEquals(depth.bytes(), p.length());
      for (int i = 0; i < depth.bytes() / 4; i++) {
        assertEquals(pcie.readDword(i), p.readDword(i), "dword " + i);
      }
      ParsedFunction q = parsed.get(1);
      assertEquals("", q.name());
      assertEquals(Math.min(depth.bytes(), 256), q.length());
      assertEquals(0x10411af4, q.readDword(0));
      if (q.length() == 256) {
        assertEquals(0xdeadbeef, q.readDword(0xfc / 4));
      }
      if (depth != DumpDepth.STANDARD) {
        // bytes read back dump to the same text
        List<DumpedFunction> again = parsed.stream().map(x -> new DumpedFunction(x.segment(),
            x.bus(), x.device(), x.function(), x.name(), x::readDword, x.length())).toList();
        assertEquals(dump, LspciDump.format(again, depth));
      }
    }
  }

  @Test
  void parseAcceptsWhatLspciItselfPrints() {
    String ones = " 01 02 03 04 05 06 07 08 09 0A 0b 0c 0d 0e 0f 10";
    StringBuilder text = new StringBuilder("00:1f.3 Audio device: Intel Corporation\r\n");
    for (int off = 0; off < 64; off += 16) {
      text.append(String.format("%02x:", off)).append(ones).append(" \r\n");
    }
    text.append("\r\n\n12345:01:00.0 \n");
    for (int off = 0; off < 64; off += 16) {
      text.append(String.format("%02x:", off)).append(ones).append('\n');
    }
    List<ParsedFunction> parsed = LspciDump.parse(text.toString());
    assertEquals(2, parsed.size());
    ParsedFunction p = parsed.get(0);
    assertEquals(0, p.segment());
    assertEquals(0x1f, p.device());
    assertEquals(3, p.function());
    assertEquals("Audio device: Intel Corporation", p.name());
    assertEquals(0x04030201, p.readDword(0));
    assertEquals(0x0c0b0a09, p.readDword(2));
    assertEquals(0x12345, parsed.get(1).segment());
    assertEquals("", parsed.get(1).name());
    assertEquals(List.of(), LspciDump.parse(""));
    assertEquals(List.of(), LspciDump.parse("\n\n"));
  }

  @Test
  void parsedFunctionsAreValuesAndKeepTheirBytes() {
    byte[] bytes = new byte[64];
    ParsedFunction p = new ParsedFunction(0, 0, 1, 0, "x", bytes);
    bytes[0] = 1;
    assertEquals(0, p.readByte(0));
    p.config()[0] = 1;
    assertEquals(0, p.readByte(0));
    assertEquals(new ParsedFunction(0, 0, 1, 0, "x", new byte[64]), p);
    assertEquals(new ParsedFunction(0, 0, 1, 0, "x", new byte[64]).hashCode(), p.hashCode());
    assertArrayEquals(new byte[64], p.config());
    assertThrows(IndexOutOfBoundsException.class, () -> p.readDword(16));
  }

  private static String parseError(String text) {
    return assertThrows(IllegalArgumentException.class, () -> LspciDump.parse(text))
        .getMessage();
  }

  private static String lines(int from, int count) {
    StringBuilder sb = new StringBuilder();
    for (int off = from; off < from + count * 16; off += 16) {
      sb.append(String.format("%02x:", off)).append(ZERO_LINE_TAIL);
    }
    return sb.toString();
  }

  @Test
  void parseErrorsNameTheLine() {
    String head = "0000:00:01.0 x\n";
    assertEquals("line 5: the last line has no line terminator; lspci -F rejects an"
        + " unterminated dump", parseError(head + lines(0, 4).stripTrailing()));
    assertEquals("line 1: function address '0000:00:01.0' must be followed by a space; lspci -F"
        + " ignores a header line without one", parseError("0000:00:01.0\n" + lines(0, 4)));
    assertEquals("line 1: function address '0000:00:01.0' must be followed by a space; lspci -F"
        + " ignores a header line without one", parseError("0000:00:01.0x\n" + lines(0, 4)));
    assertEquals("line 1: device 0x20 of '0000:00:20.0' is outside 0x00..0x1f",
        parseError("0000:00:20.0 x\n" + lines(0, 4)));
    assertEquals("line 1: function 8 of '00:01.8' is outside 0..7",
        parseError("00:01.8 x\n" + lines(0, 4)));
    assertEquals("line 7: function 0000:00:01.0 already appeared at line 1",
        parseError(head + lines(0, 4) + "\n00:01.0 again\n" + lines(0, 4)));
    assertEquals("line 1: byte line before any function header line 'DDDD:BB:DD.F name'",
        parseError(lines(0, 4)));
    assertEquals("line 7: byte line after the empty line that ended the previous function; a"
        + " new function starts with a header line 'DDDD:BB:DD.F name'",
        parseError(head + lines(0, 4) + "\n" + lines(0x40, 1)));
    assertEquals("line 4: offset 0x30 does not continue the bytes of 0000:00:01.0, which end"
        + " at 0x20", parseError(head + lines(0, 2) + lines(0x30, 1)));
    assertEquals("line 2: offset 0x10 does not continue the bytes of 0000:00:01.0, which end"
        + " at 0x0", parseError(head + lines(0x10, 4)));
    assertEquals("line 3: item 2 '0g' is not a byte of two hex digits separated by one space",
        parseError(head + lines(0, 1) + "10: 00 0g\n"));
    assertEquals("line 2: item 2 '' is not a byte of two hex digits separated by one space",
        parseError(head + "00: 00  00\n"));
    assertEquals("line 2: item 1 '123' is not a byte of two hex digits separated by one space",
        parseError(head + "00: 123\n"));
    assertEquals("line 2: 17 bytes on one line; a line holds at most 16",
        parseError(head + "00:" + " 00".repeat(17) + "\n"));
    assertEquals("line 2: no bytes after the offset", parseError(head + "00: \n"));
    assertEquals("line 258: bytes run past 0x1000; a config space has at most 4096 bytes",
        parseError(head + lines(0, 256) + "1000: 00\n"));
    assertEquals("line 1: function 0000:00:01.0 has 32 bytes; lspci needs at least the 64-byte"
        + " header", parseError(head + lines(0, 2) + "\n"));
    assertEquals("line 1: function 0000:00:01.0 has 0 bytes; lspci needs at least the 64-byte"
        + " header", parseError(head + "0000:00:02.0 y\n" + lines(0, 4)));
    assertEquals("line 6: 'Flags: bus master' is neither a function header 'DDDD:BB:DD.F name',"
        + " a byte line 'OFF: xx xx ...' nor an empty line",
        parseError(head + lines(0, 4) + "Flags: bus master\n"));
    assertEquals("line 6: only white space; the line between functions must be empty (lspci"
        + " does not take this one as a separator)", parseError(head + lines(0, 4) + " \n"));
    assertEquals("line 1: 254 bytes long; lspci -F reads lines of at most 253 bytes",
        parseError("0000:00:01.0 " + "n".repeat(241) + "\n" + lines(0, 4)));
  }
}
