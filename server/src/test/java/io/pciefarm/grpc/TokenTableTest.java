package io.pciefarm.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The token file: its format, its errors (naming the line, never the token), lookups. */
class TokenTableTest {
  private static final String ALICE = "alice-token-0123456789abcdef";
  private static final String OPS = "ops-token-fedcba9876543210";

  @Test
  void readsTokensTenantsAndTheAdminFlag(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("tokens");
    Files.writeString(file, String.join("\n",
        "# pciefarm tokens",
        "",
        ALICE + "  alice",
        "   " + OPS + "\tops admin   ",
        "alice-second-token-for-rotation alice"));
    Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString(
        "rw-------"));
    TokenTable t = TokenTable.read(file);
    assertEquals(3, t.size());
    assertEquals(new Caller("alice", false), t.lookup(ALICE));
    assertEquals(new Caller("ops", true), t.lookup(OPS));
    assertEquals(new Caller("alice", false), t.lookup("alice-second-token-for-rotation"));
    assertNull(t.lookup("alice-token-0123456789abcdeX"));
    assertNull(t.lookup(""));
    assertEquals(List.of("alice", "ops"), t.tenants());
  }

  @Test
  void malformedLinesAreRefusedNamingTheLineButNotTheToken() {
    IllegalArgumentException shortToken = assertThrows(IllegalArgumentException.class,
        () -> TokenTable.parse(List.of("# x", "tooshort alice"), "tokens.txt"));
    assertTrue(shortToken.getMessage().startsWith("tokens.txt:2: the token must be 16"),
        shortToken.getMessage());
    assertFalse(shortToken.getMessage().contains("tooshort"), "tokens are never echoed");
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> TokenTable.parse(List.of(ALICE), "f")).getMessage()
        .startsWith("f:1: expected 'TOKEN TENANT [admin]'"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> TokenTable.parse(List.of(ALICE + " alice root"), "f")).getMessage()
        .contains("may only be 'admin'"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> TokenTable.parse(List.of(ALICE + " al/ice"), "f")).getMessage()
        .contains("tenant 'al/ice' must be"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> TokenTable.parse(List.of(ALICE + " alice", ALICE + " bob"), "f")).getMessage()
        .startsWith("f:2: this token appears on an earlier line"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> TokenTable.parse(List.of("# nothing"), "f")).getMessage().contains("no tokens"));
  }
}
