package io.pciefarm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.config.ConfigAccessException.Reason;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Accesses no hardware could issue are refused, with the reason and the offending values. */
class AccessValidationTest {
  final ConfigLayout express = RegisterBehaviourTest.layout();
  final ConfigSpace space = new ConfigSpace(express);

  private static ConfigAccessException refused(Reason reason, Runnable access,
      String... mentions) {
    ConfigAccessException e = assertThrows(ConfigAccessException.class, access::run);
    assertEquals(reason, e.reason(), e.getMessage());
    for (String m : mentions) {
      assertTrue(e.getMessage().contains(m), () -> "'" + e.getMessage() + "' lacks '" + m + "'");
    }
    return e;
  }

  /** The same refusal from every entry point that takes an offset and a width. */
  private void everyEntryPoint(Reason reason, int offset, int width, String... mentions) {
    List<Consumer<ConfigSpace>> ops = new ArrayList<>();
    ops.add(s -> s.read(offset, width));
    ops.add(s -> s.write(offset, width, 0xFFFFFFFF));
    ops.add(s -> s.hardwareUpdate(offset, width, 0, 1));
    ops.add(s -> s.strap(offset, width, 1));
    for (Consumer<ConfigSpace> op : ops) {
      refused(reason, () -> op.accept(space), mentions);
    }
    refused(reason, () -> express.defaultValue(offset, width), mentions);
    refused(reason, () -> ConfigAccess.check(offset, width, ConfigLayout.PCIE_SIZE), mentions);
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 3, 5, -1, 8, 16, Integer.MIN_VALUE})
  void widthsOtherThanOneTwoFourAreRefused(int width) {
    everyEntryPoint(Reason.BAD_WIDTH, 0, width, "width " + width, "1, 2 or 4");
    // Even at offsets that would otherwise be fine or out of range: the width is named first.
    refused(Reason.BAD_WIDTH, () -> space.read(0x40, width), "width " + width);
    refused(Reason.BAD_WIDTH, () -> space.write(0x5000, width, 0), "width " + width);
  }

  @ParameterizedTest
  @CsvSource({"1,2", "3,2", "0x41,2", "0xFFD,2", "1,4", "2,4", "3,4", "0x102,4", "0xFFE,4+"})
  void misalignedAccessesAreRefused(String offsetText, String widthText) {
    if (widthText.endsWith("+")) {
      // 0xFFE width 4 is misaligned *and* runs past the end: either reason is right, but it
      // must be refused.
      assertThrows(ConfigAccessException.class, () -> space.read(0xFFE, 4));
      return;
    }
    int offset = Integer.decode(offsetText);
    int width = Integer.parseInt(widthText);
    everyEntryPoint(Reason.MISALIGNED, offset, width,
        String.format("0x%x", offset), "width");
  }

  @ParameterizedTest
  @CsvSource({"-1,1", "-4,4", "-2,2", "4096,1", "4096,4", "0x1FFC,4", "4095,2", "4094,4",
      "2147483647,1", "-2147483648,4"})
  void offsetsOutsideTheFunctionAreRefused(int offset, int width) {
    ConfigAccessException e = assertThrows(ConfigAccessException.class,
        () -> space.read(offset, width));
    if (offset == 4094 || offset == 4095) {
      // Misaligned too; whichever reason wins, the access names its offset.
      assertTrue(e.reason() == Reason.OUT_OF_RANGE || e.reason() == Reason.MISALIGNED);
      return;
    }
    everyEntryPoint(Reason.OUT_OF_RANGE, offset, width, "width " + width, "4096");
  }

  @Test
  void outOfRangeMessagesNameOffsetAndWidth() {
    refused(Reason.OUT_OF_RANGE, () -> space.read(4096, 1), "0x1000", "width 1", "4096-byte");
    refused(Reason.OUT_OF_RANGE, () -> space.write(4096, 4, 0), "0x1000", "width 4");
    refused(Reason.OUT_OF_RANGE, () -> space.read(0x1FFC, 4), "0x1ffc", "width 4");
  }

  @Test
  void negativeOffsetsAreNamedAsNegativeNumbers() {
    // -1 shown as 0xffffffff would tell a client it sent 4294967295.
    refused(Reason.OUT_OF_RANGE, () -> space.read(-1, 1), "-0x1", "width 1");
    refused(Reason.OUT_OF_RANGE, () -> space.write(-4, 4, 0), "-0x4", "width 4");
  }

  @Test
  void misalignedMessagesNameOffsetAndWidth() {
    refused(Reason.MISALIGNED, () -> space.read(1, 2), "0x1", "2-byte");
    refused(Reason.MISALIGNED, () -> space.write(0x42, 4, 0), "0x42", "4-byte");
  }

  @Test
  void theLastBytesOfTheSpaceAreReachable() {
    assertEquals(0, space.read(0xFFF, 1));
    assertEquals(0, space.read(0xFFE, 2));
    assertEquals(0, space.read(0xFFC, 4));
    space.write(0xFFC, 4, -1);
  }

  @Test
  void refusedWritesChangeNothingAndNotifyNobody() {
    List<HookedRegister> heard = new ArrayList<>();
    space.listener((s, r, o, n, w) -> heard.add(r));
    int before = space.read(RegisterBehaviourTest.TRIGGER, 4);
    assertThrows(ConfigAccessException.class,
        () -> space.write(RegisterBehaviourTest.TRIGGER + 1, 2, 0xFFFF));
    assertThrows(ConfigAccessException.class,
        () -> space.write(RegisterBehaviourTest.TRIGGER, 3, 0xFFFFFF));
    assertEquals(before, space.read(RegisterBehaviourTest.TRIGGER, 4));
    assertEquals(List.of(), heard);
    assertEquals(0, space.privateChunks());
  }

  @Test
  void aConventionalFunctionReadsZeroAndDropsWritesPast256Bytes() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.CONVENTIONAL_SIZE);
    b.value(0, 4, 0xABCD1234).rw(0xFC, 4, -1).value(0xFC, 4, 0x11111111);
    ConfigLayout conventional = b.build();
    assertEquals(256, conventional.size());
    assertEquals(false, conventional.isExpress());
    ConfigSpace c = new ConfigSpace(conventional);
    List<HookedRegister> heard = new ArrayList<>();
    c.listener((s, r, o, n, w) -> heard.add(r));
    for (int off = 0x100; off < 0x1000; off += 4) {
      c.write(off, 4, 0xFFFFFFFF);
      c.write(off + 2, 2, 0xFFFF);
      c.write(off + 3, 1, 0xFF);
      assertEquals(0, c.read(off, 4), "offset 0x" + Integer.toHexString(off));
      assertEquals(0, c.read(off + 2, 2));
      assertEquals(0, c.read(off + 1, 1));
    }
    assertEquals(0, c.privateChunks());
    assertEquals(List.of(), heard);
    // The real 256 bytes are untouched by all that and still work.
    assertEquals(0xABCD1234, c.read(0, 4));
    assertEquals(0x11111111, c.read(0xFC, 4));
    c.write(0xFC, 4, 0x22222222);
    assertEquals(0x22222222, c.read(0xFC, 4));
    // 0x1000 is outside even a conventional function's reach.
    refused(Reason.OUT_OF_RANGE, () -> c.read(0x1000, 1), "0x1000", "4096");
    refused(Reason.OUT_OF_RANGE, () -> c.write(0x1000, 4, 0), "0x1000", "4096");
    refused(Reason.OUT_OF_RANGE, () -> c.read(0xFFE, 4));
    // Misaligned and bad widths are still refused past 256.
    refused(Reason.MISALIGNED, () -> c.read(0x101, 2), "0x101");
    refused(Reason.BAD_WIDTH, () -> c.write(0x200, 3, 0), "width 3");
    // The device itself has no bytes there: hardware updates and straps are refused.
    refused(Reason.OUT_OF_RANGE, () -> c.hardwareUpdate(0x100, 4, 0, 1), "0x100", "256");
    refused(Reason.OUT_OF_RANGE, () -> c.strap(0x100, 4, 1), "0x100", "256");
    refused(Reason.OUT_OF_RANGE, () -> conventional.defaultValue(0x100, 4), "0x100", "256");
  }
}
