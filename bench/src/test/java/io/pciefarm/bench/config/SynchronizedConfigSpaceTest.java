package io.pciefarm.bench.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.pciefarm.config.ConfigAccessException;
import io.pciefarm.config.ConfigLayout;
import io.pciefarm.config.ConfigSpace;
import io.pciefarm.config.LayoutBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The baseline is only a fair comparison if it does what the engine does: drive both with the
 * same random accesses and require the same state, the same listener calls and the same errors.
 */
class SynchronizedConfigSpaceTest {
  private static final int[] WIDTHS = {1, 2, 4};

  @Test
  void matchesTheEngineOnTheBenchmarkLayout() {
    differential(EndpointLayout.LAYOUT, 1);
  }

  @Test
  void matchesTheEngineOnAConventionalLayout() {
    LayoutBuilder b = new LayoutBuilder(ConfigLayout.CONVENTIONAL_SIZE);
    b.value(0, 4, 0x12341AF4).rw(4, 2, 0x0547).rw1c(6, 2, 0xF900);
    b.rw(0x3C, 1, 0xFF).sticky(0x3C, 1, 0x0F).trigger(0x40, 4, 1);
    differential(b.build(), 2);
  }

  @Test
  void enumerationTouchesTheTwoChunksTheReadsCover() {
    ConfigSpace space = new ConfigSpace(EndpointLayout.LAYOUT);
    EndpointLayout.enumerate(space::write);
    assertEquals(2, space.privateChunks());
  }

  @Test
  void rejectsWhatTheEngineRejects() {
    SynchronizedConfigSpace s = new SynchronizedConfigSpace(EndpointLayout.LAYOUT);
    assertThrows(ConfigAccessException.class, () -> s.read(2, 4));
    assertThrows(ConfigAccessException.class, () -> s.read(4096, 1));
    assertThrows(ConfigAccessException.class, () -> s.write(0, 3, 0));
  }

  private static void differential(ConfigLayout layout, long seed) {
    ConfigSpace engine = new ConfigSpace(layout);
    SynchronizedConfigSpace baseline = new SynchronizedConfigSpace(layout);
    List<String> heardByEngine = new ArrayList<>();
    List<String> heardByBaseline = new ArrayList<>();
    engine.listener((space, reg, oldValue, newValue, written) ->
        heardByEngine.add(reg + " " + oldValue + " " + newValue + " " + written));
    baseline.listener((space, reg, oldValue, newValue, written) ->
        heardByBaseline.add(reg + " " + oldValue + " " + newValue + " " + written));
    // Half the accesses go to dwords with behaviour (RW, RW1C, sticky, trigger bits).
    List<Integer> live = new ArrayList<>();
    for (int i = 0; i < layout.size() / 4; i++) {
      if ((layout.wmask(i) | layout.w1cmask(i) | layout.stickyMask(i) | layout.triggerMask(i))
          != 0) {
        live.add(i * 4);
      }
    }
    Random r = new Random(seed);
    for (int step = 0; step < 20_000; step++) {
      int width = WIDTHS[r.nextInt(3)];
      int offset = r.nextBoolean()
          ? live.get(r.nextInt(live.size())) + (r.nextInt(4) & -width)
          : r.nextInt(r.nextBoolean() ? 0x200 : ConfigLayout.PCIE_SIZE) & -width;
      int value = r.nextBoolean() ? r.nextInt() : -1;
      int op = r.nextInt(100);
      if (op < 80) {
        engine.write(offset, width, value);
        baseline.write(offset, width, value);
      } else if (op < 97) {
        if (offset < layout.size()) {
          int clear = r.nextInt();
          assertEquals(engine.hardwareUpdate(offset, width, clear, value),
              baseline.hardwareUpdate(offset, width, clear, value));
        }
      } else {
        boolean warm = r.nextBoolean();
        engine.reset(warm);
        baseline.reset(warm);
      }
      if (step % 97 == 0) {
        assertSame(layout, engine, baseline, step);
      }
    }
    assertSame(layout, engine, baseline, -1);
    assertEquals(heardByEngine, heardByBaseline);
  }

  private static void assertSame(ConfigLayout layout, ConfigSpace engine,
      SynchronizedConfigSpace baseline, int step) {
    for (int offset = 0; offset < ConfigLayout.PCIE_SIZE; offset++) {
      for (int width : WIDTHS) {
        if ((offset & (width - 1)) == 0 && offset + width <= ConfigLayout.PCIE_SIZE) {
          int at = offset;
          assertEquals(engine.read(offset, width), baseline.read(offset, width),
              () -> "step " + step + " offset 0x" + Integer.toHexString(at));
        }
      }
    }
    for (int i = 0; i < layout.size() / 4; i++) {
      assertEquals(engine.readDword(i), baseline.readDword(i));
    }
  }
}
