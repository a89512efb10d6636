package io.pciefarm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** Hooked registers: who hears which write, when, and with which values. */
class HookTest {
  static final int CMD = 0x04;
  static final int BUS = 0x18;
  static final int BRIDGE_CTL = 0x3E;
  static final int PAIR = 0x40;
  static final int BYTES = 0x44;
  static final int RO_HOOK = 0x48;

  /** One reported call, with what the space read back while the listener ran. */
  record Call(Register register, int offset, int width, int oldValue, int newValue, int written,
      int seenDuringCall) {}

  static ConfigLayout layout() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    b.rw(CMD, 2, 0x0547).hook(Register.COMMAND, CMD, 2).rw1c(CMD + 2, 2, 0xF900);
    b.rw(BUS, 4, 0x00FFFFFF).hook(Register.BUS_NUMBERS, BUS, 4);
    b.rw(0x3C, 1, 0xFF).value(0x3D, 1, 0x01);
    b.rw(BRIDGE_CTL, 2, 0x0FFF).trigger(BRIDGE_CTL, 2, 0x8000)
        .hook(Register.BRIDGE_CONTROL, BRIDGE_CTL, 2);
    // Two word registers in one dword, each hooked; the upper one half RW1C.
    b.value(PAIR, 2, 0x0040).rw(PAIR, 2, 0x0FFF).hook(Register.LINK_CONTROL, PAIR, 2);
    b.rw(PAIR + 2, 2, 0x00FF).rw1c(PAIR + 2, 2, 0xFF00).hook(Register.SLOT_STATUS, PAIR + 2, 2);
    // Two byte registers in bytes 0 and 2 of one dword; bytes 1 and 3 are plain RW.
    b.rw(BYTES, 4, -1).hook(Register.ACS_CONTROL, BYTES, 1).hook(Register.AF_CONTROL, BYTES + 2, 1);
    // A hooked register with no writable bit at all.
    b.value(RO_HOOK, 2, 0x1234).hook(Register.SLOT_CONTROL, RO_HOOK, 2);
    return b.build();
  }

  final ConfigSpace space = new ConfigSpace(layout());
  final List<Call> calls = new ArrayList<>();

  HookTest() {
    space.listener((s, reg, oldV, newV, written) -> {
      assertSame(space, s);
      calls.add(new Call(reg.register(), reg.offset(), reg.width(), oldV, newV, written,
          s.read(reg.offset(), reg.width())));
    });
  }

  private Call only() {
    assertEquals(1, calls.size(), calls.toString());
    Call c = calls.get(0);
    calls.clear();
    return c;
  }

  @Test
  void theListenerRunsAfterTheWriteLandedAndSeesTheNewValue() {
    space.write(CMD, 2, 0x0006);
    Call c = only();
    assertEquals(new Call(Register.COMMAND, CMD, 2, 0, 0x0006, 0x0006, 0x0006), c);
    space.write(CMD, 2, 0xFFFF);
    assertEquals(new Call(Register.COMMAND, CMD, 2, 0x0006, 0x0547, 0xFFFF, 0x0547), only());
  }

  @Test
  void theListenerSeesRw1cClearsAlreadyApplied() {
    space.hardwareUpdate(PAIR + 2, 2, 0, 0xAB00);
    space.write(PAIR + 2, 2, 0x0300);
    assertEquals(new Call(Register.SLOT_STATUS, PAIR + 2, 2, 0xAB00, 0xA800, 0x0300, 0xA800),
        only());
  }

  @Test
  void aDwordAccessReportsEachRegisterInItsOwnWidthAndBits() {
    space.hardwareUpdate(PAIR + 2, 2, 0, 0xFF00);
    space.write(PAIR, 4, 0xF0F1_A5A5);
    assertEquals(2, calls.size(), calls.toString());
    assertEquals(new Call(Register.LINK_CONTROL, PAIR, 2, 0x0040, 0x05A5, 0xA5A5, 0x05A5),
        calls.get(0));
    assertEquals(new Call(Register.SLOT_STATUS, PAIR + 2, 2, 0xFF00, 0x0FF1, 0xF0F1, 0x0FF1),
        calls.get(1));
  }

  @Test
  void aByteAccessToAWiderRegisterReportsOnlyItsOwnByteAsWritten() {
    space.write(BUS, 4, 0x00030201);
    calls.clear();
    space.write(BUS + 2, 1, 0xFE);
    assertEquals(new Call(Register.BUS_NUMBERS, BUS, 4, 0x00030201, 0x00FE0201, 0x00FE0000,
        0x00FE0201), only());
    // Byte 3 is read-only: the write lands nowhere but is still reported.
    space.write(BUS + 3, 1, 0x77);
    assertEquals(new Call(Register.BUS_NUMBERS, BUS, 4, 0x00FE0201, 0x00FE0201, 0x77000000,
        0x00FE0201), only());
    space.write(BUS, 2, 0x0504);
    assertEquals(new Call(Register.BUS_NUMBERS, BUS, 4, 0x00FE0201, 0x00FE0504, 0x00000504,
        0x00FE0504), only());
  }

  @Test
  void itFiresWhenTheStoredValueDoesNotChange() {
    space.write(CMD, 2, 0x0002);
    space.write(CMD, 2, 0x0002);
    assertEquals(2, calls.size());
    assertEquals(calls.get(0).newValue(), calls.get(1).oldValue());
    assertEquals(calls.get(1).oldValue(), calls.get(1).newValue());
    calls.clear();
    space.write(RO_HOOK, 2, 0xFFFF);
    assertEquals(new Call(Register.SLOT_CONTROL, RO_HOOK, 2, 0x1234, 0x1234, 0xFFFF, 0x1234),
        only());
    space.write(RO_HOOK, 2, 0);
    assertEquals(new Call(Register.SLOT_CONTROL, RO_HOOK, 2, 0x1234, 0x1234, 0, 0x1234), only());
    // A read-only hooked register costs no copy.
    space.reset(false);
    space.write(RO_HOOK, 4, -1);
    assertEquals(1, calls.size());
    assertEquals(0, space.privateChunks());
  }

  @Test
  void triggerBitsAreReportedAsWrittenButNotStored() {
    space.write(BRIDGE_CTL, 2, 0x8040);
    assertEquals(new Call(Register.BRIDGE_CONTROL, BRIDGE_CTL, 2, 0, 0x0040, 0x8040, 0x0040),
        only());
    space.write(0x3C, 4, 0x80400000);
    assertEquals(new Call(Register.BRIDGE_CONTROL, BRIDGE_CTL, 2, 0x0040, 0x0040, 0x8040,
        0x0040), only());
  }

  @Test
  void accessesInTheSameDwordThatMissTheRegisterAreNotReported() {
    // Status sits beside Command.
    space.write(CMD + 2, 2, 0xFFFF);
    space.write(CMD + 2, 1, 0xFF);
    space.write(CMD + 3, 1, 0xFF);
    // Interrupt line and pin sit beside Bridge Control.
    space.write(0x3C, 1, 0x0B);
    space.write(0x3D, 1, 0x0B);
    space.write(0x3C, 2, 0x0B0B);
    // Bytes 1 and 3 of a dword whose bytes 0 and 2 are hooked.
    space.write(BYTES + 1, 1, 0x11);
    space.write(BYTES + 3, 1, 0x33);
    assertEquals(List.of(), calls);
    assertEquals(0x0B, space.read(0x3C, 1));
    assertEquals(0x33001100, space.read(BYTES, 4));
    // Reads, hardware updates, straps and resets are never reported.
    space.read(CMD, 2);
    space.hardwareUpdate(CMD, 2, 0, 0x7);
    space.hardwareUpdate(BUS, 4, 0, 0xFF);
    space.strap(RO_HOOK, 2, 0x4321);
    space.reset(true);
    space.reset(false);
    assertEquals(List.of(), calls);
  }

  @Test
  void twoHookedRegistersInOneDwordEachGetTheirOwnCall() {
    space.write(BYTES, 4, 0x44332211);
    assertEquals(2, calls.size(), calls.toString());
    assertEquals(new Call(Register.ACS_CONTROL, BYTES, 1, 0, 0x11, 0x11, 0x11), calls.get(0));
    assertEquals(new Call(Register.AF_CONTROL, BYTES + 2, 1, 0, 0x33, 0x33, 0x33),
        calls.get(1));
    calls.clear();
    space.write(BYTES, 2, 0xAABB);
    assertEquals(new Call(Register.ACS_CONTROL, BYTES, 1, 0x11, 0xBB, 0xBB, 0xBB), only());
    space.write(BYTES + 2, 2, 0xCCDD);
    assertEquals(new Call(Register.AF_CONTROL, BYTES + 2, 1, 0x33, 0xDD, 0xDD, 0xDD), only());
    space.write(BYTES + 2, 1, 0xEE);
    assertEquals(new Call(Register.AF_CONTROL, BYTES + 2, 1, 0xDD, 0xEE, 0xEE, 0xEE), only());
    space.write(PAIR, 2, 0x0001);
    assertEquals(Register.LINK_CONTROL, only().register());
    space.write(PAIR + 2, 2, 0x0001);
    assertEquals(Register.SLOT_STATUS, only().register());
  }

  @Test
  void aNullListenerMeansNobodyListens() {
    space.listener(null);
    space.write(CMD, 2, 1);
    assertEquals(1, space.read(CMD, 2));
    assertEquals(List.of(), calls);
  }

  @Test
  void overlappingHooksAreRefused() {
    int[][] pairs = {
        {0x40, 2, 0x40, 2}, {0x40, 4, 0x42, 2}, {0x40, 2, 0x41, 1}, {0x42, 2, 0x40, 4},
        {0x43, 1, 0x40, 4}, {0x40, 1, 0x40, 2},
    };
    for (int[] p : pairs) {
      LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
      b.hook(Register.LINK_CONTROL, p[0], p[1]);
      IllegalStateException e = assertThrows(IllegalStateException.class,
          () -> b.hook(Register.SLOT_CONTROL, p[2], p[3]), java.util.Arrays.toString(p));
      assertTrue(e.getMessage().contains("SLOT_CONTROL")
          && e.getMessage().contains("LINK_CONTROL"), e.getMessage());
    }
    // Neighbours are fine: all four bytes of one dword, each its own register.
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    b.hook(Register.COMMAND, 0x40, 1).hook(Register.LINK_CONTROL, 0x41, 1)
        .hook(Register.SLOT_CONTROL, 0x42, 1).hook(Register.SLOT_STATUS, 0x43, 1);
    assertEquals(4, b.build().hookedRegisters().size());
  }

  @Test
  void hooksThatNoHardwareCouldHoldAreRefused() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    assertThrows(ConfigAccessException.class, () -> b.hook(Register.COMMAND, 0x41, 2));
    assertThrows(ConfigAccessException.class, () -> b.hook(Register.COMMAND, 0x42, 4));
    assertThrows(ConfigAccessException.class, () -> b.hook(Register.COMMAND, 0x40, 3));
    assertThrows(ConfigAccessException.class, () -> b.hook(Register.COMMAND, 0x1000, 1));
    assertThrows(ConfigAccessException.class, () -> b.hook(Register.COMMAND, -4, 4));
    LayoutBuilder conventional = new LayoutBuilder(ConfigLayout.CONVENTIONAL_SIZE);
    ConfigAccessException e = assertThrows(ConfigAccessException.class,
        () -> conventional.hook(Register.COMMAND, 0x100, 2));
    assertEquals(ConfigAccessException.Reason.OUT_OF_RANGE, e.reason());
    assertTrue(e.getMessage().contains("0x100"), e.getMessage());
  }

  @Test
  void theLayoutListsItsHooksInOffsetOrder() {
    ConfigLayout l = layout();
    List<HookedRegister> hooks = l.hookedRegisters();
    assertEquals(List.of(
        new HookedRegister(Register.COMMAND, CMD, 2),
        new HookedRegister(Register.BUS_NUMBERS, BUS, 4),
        new HookedRegister(Register.BRIDGE_CONTROL, BRIDGE_CTL, 2),
        new HookedRegister(Register.LINK_CONTROL, PAIR, 2),
        new HookedRegister(Register.SLOT_STATUS, PAIR + 2, 2),
        new HookedRegister(Register.ACS_CONTROL, BYTES, 1),
        new HookedRegister(Register.AF_CONTROL, BYTES + 2, 1),
        new HookedRegister(Register.SLOT_CONTROL, RO_HOOK, 2)), hooks);
    assertEquals(OptionalInt.of(PAIR + 2), l.offsetOf(Register.SLOT_STATUS));
    assertEquals(OptionalInt.empty(), l.offsetOf(Register.SRIOV_CONTROL));
  }

  @Test
  void aBuilderStillInUseDoesNotChangeALayoutItAlreadyBuilt() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.PCIE_SIZE);
    b.rw(0x40, 2, 0xFFFF).hook(Register.COMMAND, 0x40, 1);
    ConfigLayout first = b.build();
    b.hook(Register.LINK_CONTROL, 0x42, 2).value(0x40, 4, 0x12345678).rw(0x44, 4, -1);
    ConfigLayout second = b.build();
    assertEquals(List.of(new HookedRegister(Register.COMMAND, 0x40, 1)), first.hookedRegisters());
    assertEquals(2, second.hookedRegisters().size());
    assertEquals(0, first.defaultDword(0x10));
    assertEquals(0, first.wmask(0x11));
    ConfigSpace s = new ConfigSpace(first);
    List<Register> heard = new ArrayList<>();
    s.listener((sp, r, o, n, w) -> heard.add(r.register()));
    s.write(0x40, 4, -1);
    assertEquals(List.of(Register.COMMAND), heard);
  }
}
