package io.pciefarm.testing;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

/** A missing lspci skips the oracle tests, unless CI requires the oracle. */
class LspciTest {

  @Test
  void aMissingLspciSkipsByDefault() {
    TestAbortedException e = assertThrows(TestAbortedException.class,
        () -> Lspci.assumeInstalled(false, null));
    assertTrue(e.getMessage().contains(Lspci.REQUIRE + "=1"), e.getMessage());
    assertThrows(TestAbortedException.class, () -> Lspci.assumeInstalled(false, "0"));
  }

  @Test
  void aMissingLspciFailsWhenTheOracleIsRequired() {
    AssertionError e = assertThrows(AssertionError.class,
        () -> Lspci.assumeInstalled(false, "1"));
    assertTrue(e.getMessage().contains("PCIEFARM_REQUIRE_LSPCI=1 requires the lspci oracle"),
        e.getMessage());
  }

  @Test
  void anInstalledLspciNeitherSkipsNorFails() {
    assertDoesNotThrow(() -> Lspci.assumeInstalled(true, "1"));
    assertDoesNotThrow(() -> Lspci.assumeInstalled(true, null));
  }
}
