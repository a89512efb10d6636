package io.pciefarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.client.LiveServer;
import io.pciefarm.grpc.Caller;
import io.pciefarm.grpc.PcieFarmServer;
import io.pciefarm.grpc.TokenTable;
import io.pciefarm.ownership.Owner;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@code pciefarm lease} against a farm with tokens, through PcieFarmCli.run. */
class LeaseCommandTest extends LiveServer {
  private static final String ALICE = "alice-cli-0123456789abcdef";
  private static final String BOB = "bob-cli-0123456789abcdef";
  private static final String NVME = "0001:03:00.0";

  @Override
  protected PcieFarmServer.Builder configure(PcieFarmServer.Builder b) {
    return b.tokens(TokenTable.of(Map.of(ALICE, new Caller("alice", false),
        BOB, new Caller("bob", false))));
  }

  /** The command with the server and a token. */
  private String[] as(String token, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    int at = args[0].equals("lease") ? 2 : 1;
    all.addAll(at, List.of("--server", server.tcpTarget()));
    if (token != null) {
      all.addAll(at, List.of("--token", token));
    }
    return all.toArray(String[]::new);
  }

  private static CliTest.Result run(String... args) {
    return CliTest.run(args);
  }

  private PciFunction engine(String address) {
    PciAddress a = PciAddress.parse(address);
    return server.farm().bySegment(a.segment()).lookup(a);
  }

  @Test
  void acquireListRenewRelease() {
    CliTest.Result acquired = run(as(ALICE, "lease", "acquire", "storage-switch", "--function",
        "03:00.0", "--ttl", "2m", "--holder", "cli test"));
    assertEquals(0, acquired.code(), acquired.err());
    String id = acquired.out().lines().findFirst().orElseThrow();
    assertTrue(id.matches("[0-9a-f]{32}"), "the id alone on the first line: " + acquired.out());
    assertTrue(acquired.out().contains("functions " + NVME), acquired.out());
    assertTrue(acquired.out().contains("tenant alice, holder cli test, ttl 2m"), acquired.out());
    assertEquals(Owner.lease(id, "alice"), engine(NVME).owner());

    CliTest.Result ls = run(as(BOB, "lease", "ls", "storage-switch"));
    assertEquals(0, ls.code(), ls.err());
    assertTrue(ls.out().lines().anyMatch(l -> l.startsWith(id + " ") && l.contains(" alice ")
        && l.contains("cli test") && l.endsWith(NVME)), ls.out());

    CliTest.Result renewed = run(as(ALICE, "lease", "renew", id, "--ttl", "5m"));
    assertEquals(0, renewed.code(), renewed.err());
    assertTrue(renewed.out().startsWith("renewed " + id + ": expires in "), renewed.out());

    CliTest.Result notBobs = run(as(BOB, "lease", "release", id));
    assertEquals(1, notBobs.code());
    assertTrue(notBobs.errLine().startsWith("pciefarm lease release: lease " + id
        + " belongs to another tenant"), notBobs.err());
    CliTest.Result taken = run(as(BOB, "lease", "acquire", "storage-switch", "--function",
        NVME));
    assertEquals(1, taken.code());
    assertTrue(taken.errLine().contains(NVME) && taken.errLine().contains("alice"), taken.err());

    CliTest.Result released = run(as(ALICE, "lease", "release", id));
    assertEquals(0, released.code(), released.err());
    assertEquals("released " + id, released.out().strip());
    assertEquals(Owner.HOST, engine(NVME).owner());
    assertTrue(run(as(ALICE, "lease", "release", id)).out().contains("already gone"));
    assertFalse(run(as(ALICE, "lease", "ls")).out().contains(id));
  }

  /**
   * The README's example: leasing the GPU, dirtying it, releasing it. Its PM reset does
   * nothing (the quirk it emulates), so the release says so, one warning per function, and
   * the GPU returns as it was left.
   */
  @Test
  void releasingTheGpuWarnsThatItsResetChangedNothing() {
    String gpu = "0000:01:00.0";
    CliTest.Result acquired = run(as(ALICE, "lease", "acquire", "gpu-passthrough",
        "--function", "01:00.0", "--ttl", "5m"));
    assertEquals(0, acquired.code(), acquired.err());
    String id = acquired.out().lines().findFirst().orElseThrow();
    assertEquals(0, run(as(ALICE, "setpci", "-s", gpu, "COMMAND=6")).code());
    CliTest.Result released = run(as(ALICE, "lease", "release", id));
    assertEquals(0, released.code(), released.err());
    assertEquals("released " + id, released.out().strip());
    List<String> warnings = released.err().lines().toList();
    assertEquals(2, warnings.size(), released.err());
    assertTrue(warnings.get(0).startsWith("pciefarm lease: warning: 0000:01:00.0: reset by pm")
        && warnings.get(0).contains("returns as its holder left it"), warnings.get(0));
    assertTrue(warnings.get(1).startsWith("pciefarm lease: warning: 0000:01:00.1: "),
        warnings.get(1));
    assertEquals(Owner.HOST, engine(gpu).owner());
    assertEquals(6, engine(gpu).config().read(0x04, 2), "what the warning says");
    engine(gpu).config().write(0x04, 2, 0); // leave the shared farm as it was
  }

  @Test
  void acquireByGroupNumber() {
    Hierarchy h = server.farm().get("storage-switch");
    int group = h.groups().groupOf(engine("0001:05:00.0"));
    CliTest.Result r = run(as(ALICE, "lease", "acquire", "storage-switch", "--group",
        String.valueOf(group)));
    assertEquals(0, r.code(), r.err());
    String id = r.out().lines().findFirst().orElseThrow();
    assertTrue(r.out().contains("groups " + group), r.out());
    assertEquals(0, run(as(ALICE, "lease", "release", id)).code());
  }

  @Test
  void holdRenewsUntilInterruptedThenReleases() throws Exception {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    AtomicInteger code = new AtomicInteger(-1);
    Thread holder = new Thread(() -> code.set(PcieFarmCli.run(as(ALICE, "lease", "acquire",
        "storage-switch", "--function", "04:00.0", "--ttl", "2s", "--hold"),
        new PrintWriter(out, true), new PrintWriter(err, true))), "lease-hold-under-test");
    holder.start();
    for (int i = 0; i < 600 && !out.toString().contains("holding") && holder.isAlive(); i++) {
      Thread.sleep(50);
    }
    assertTrue(out.toString().contains("holding"), out + " / " + err);
    String id = out.toString().lines().findFirst().orElseThrow();
    PciFunction bay2 = engine("0001:04:00.0");
    // Held past several TTLs: the hold renews it (bounded: no timing asserted).
    long until = System.nanoTime() + 3_000_000_000L;
    while (System.nanoTime() - until < 0) {
      Thread.sleep(100);
    }
    assertEquals(Owner.lease(id, "alice"), bay2.owner(), "still held: " + err);
    holder.interrupt();
    holder.join(60_000);
    assertFalse(holder.isAlive());
    assertEquals(0, code.get(), err.toString());
    assertTrue(out.toString().contains("released " + id), out.toString());
    assertEquals(Owner.HOST, bay2.owner());
  }

  @Test
  void withoutATokenTheServerRefuses() {
    CliTest.Result r = run(as(null, "lease", "ls"));
    assertEquals(1, r.code());
    assertTrue(r.errLine().startsWith("pciefarm lease ls: missing credentials"), r.err());
    CliTest.Result ls = run(as(null, "ls"));
    assertEquals(1, ls.code());
    assertTrue(ls.errLine().contains("--token or PCIEFARM_TOKEN"), ls.err());
    CliTest.Result wrong = run(as("not-a-known-token-0000", "lspci"));
    assertEquals(1, wrong.code());
    assertTrue(wrong.errLine().contains("unknown token"), wrong.err());
    CliTest.Result ok = run(as(BOB, "lspci", "-s", NVME));
    assertEquals(0, ok.code(), ok.err());
  }

  @Test
  void writesNeedTheLease() {
    CliTest.Result denied = run(as(BOB, "setpci", "-s", NVME, "COMMAND=0006"));
    assertEquals(1, denied.code());
    assertTrue(denied.errLine().contains("host's pool"), denied.err());
    CliTest.Result acquired = run(as(BOB, "lease", "acquire", "storage-switch", "--function",
        NVME));
    String id = acquired.out().lines().findFirst().orElseThrow();
    try {
      CliTest.Result allowed = run(as(BOB, "setpci", "-s", NVME, "COMMAND=0006"));
      assertEquals(0, allowed.code(), allowed.err());
      assertEquals(6, engine(NVME).config().read(0x04, 2));
    } finally {
      assertEquals(0, run(as(BOB, "lease", "release", id)).code());
    }
  }

  @Test
  void usageErrorsExitTwo() {
    for (String[] args : List.of(
        new String[] {"lease"},
        new String[] {"lease", "acquire", "storage-switch"},
        new String[] {"lease", "acquire", "storage-switch", "--group", "1", "--ttl", "soon"},
        new String[] {"lease", "renew"})) {
      CliTest.Result r = run(args.length < 2 ? args : as(ALICE, args));
      assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
      r.errLine();
    }
    assertEquals(0, run("lease", "acquire", "--help").code());
  }
}
