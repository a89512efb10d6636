package io.pciefarm.client.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.grpc.Status;
import io.pciefarm.client.FunctionHandle;
import io.pciefarm.client.HierarchyHandle;
import io.pciefarm.client.LeaseHandle;
import io.pciefarm.client.PcieFarmException;
import io.pciefarm.grpc.Caller;
import io.pciefarm.grpc.PcieFarmServer;
import io.pciefarm.grpc.TokenTable;
import io.pciefarm.ownership.Owner;
import io.pciefarm.proto.v1.AffectedFunction;
import io.pciefarm.spec.Header;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciFunction;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Execution;

/**
 * The extension's remote path, as CI uses it: a {@link PcieFarmFixture} class run by the JUnit
 * Platform (the engine test kit) with {@code pciefarm.server} naming a live server, over TCP and
 * a Unix socket, on a farm without tokens and on one that requires them
 * ({@code pciefarm.token}). The class gets its hierarchy and lease on that server; afterwards
 * the lease is released (its functions reset and back with the host) and the hierarchy is gone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RemoteFixtureTest {
  private static final String TOKEN = "fixture-ci-0123456789abcdef";

  /** One run of {@link Subject}: where it should run, and what it saw there. */
  private static final class Run {
    final PcieFarmServer server;
    final List<String> targets = new CopyOnWriteArrayList<>();
    final List<String> hierarchies = new CopyOnWriteArrayList<>();
    final List<String> leases = new CopyOnWriteArrayList<>();
    final List<String> tenants = new CopyOnWriteArrayList<>();
    /** The server's own functions the lease took, kept past the hierarchy's deletion. */
    final List<PciFunction> leased = new CopyOnWriteArrayList<>();

    Run(PcieFarmServer server) {
      this.server = server;
    }
  }

  /** The run in progress; null when {@link Subject} is not run from here. */
  private static volatile Run current;

  enum Case {
    TCP(false), UNIX(false), TCP_WITH_TOKEN(true), UNIX_WITH_TOKEN(true);

    final boolean token;

    Case(boolean token) {
      this.token = token;
    }
  }

  private Path dir;
  private PcieFarmServer open;
  private PcieFarmServer authenticated;

  @BeforeAll
  void startServers() throws IOException {
    dir = Files.createTempDirectory("pciefarm-fixture");
    open = PcieFarmServer.builder().port(0).unixSocket(dir.resolve("open.sock"))
        .shutdownGrace(Duration.ofSeconds(2)).start();
    authenticated = PcieFarmServer.builder().port(0).unixSocket(dir.resolve("auth.sock"))
        .tokens(TokenTable.of(Map.of(TOKEN, new Caller("ci", false))))
        .shutdownGrace(Duration.ofSeconds(2)).start();
  }

  @AfterAll
  void stopServers() throws IOException {
    for (PcieFarmServer s : new PcieFarmServer[] {open, authenticated}) {
      if (s != null) {
        s.close();
      }
    }
    Files.deleteIfExists(dir.resolve("open.sock"));
    Files.deleteIfExists(dir.resolve("auth.sock"));
    Files.deleteIfExists(dir);
  }

  private static String target(PcieFarmServer s, Case c) {
    return c == Case.TCP || c == Case.TCP_WITH_TOKEN ? s.tcpTarget() : "unix:" + s.unixSocket();
  }

  /** Runs {@link Subject} on the JUnit Platform with these configuration parameters. */
  private static EngineExecutionResults runSubject(Run run, Map<String, String> parameters) {
    current = run;
    try {
      return EngineTestKit.engine("junit-jupiter").selectors(selectClass(Subject.class))
          .configurationParameters(parameters).execute();
    } finally {
      current = null;
    }
  }

  private static String failures(EngineExecutionResults results) {
    return results.allEvents().executions().failed().stream()
        .map(e -> String.valueOf(e.getTerminationInfo().getExecutionResult().getThrowable()
            .orElse(null)))
        .toList().toString();
  }

  @ParameterizedTest
  @EnumSource(Case.class)
  void aFixtureClassGetsItsLeasedHierarchyOnTheNamedServerAndGivesItBack(Case c) {
    PcieFarmServer server = c.token ? authenticated : open;
    Run run = new Run(server);
    String target = target(server, c);
    EngineExecutionResults results = runSubject(run, c.token
        ? Map.of(PcieFarmExtension.SERVER_PARAMETER, target,
            PcieFarmExtension.TOKEN_PARAMETER, TOKEN)
        : Map.of(PcieFarmExtension.SERVER_PARAMETER, target));

    assertEquals(1, results.testEvents().succeeded().count(), () -> failures(results));
    assertEquals(0, results.allEvents().executions().failed().count(), () -> failures(results));
    assertEquals(List.of(target), run.targets, "the farm pciefarm.server names");
    assertEquals(List.of(c.token ? "ci" : Caller.LOCAL.tenant()), run.tenants);
    assertEquals(1, run.hierarchies.size());
    String name = run.hierarchies.get(0);
    assertTrue(server.farm().list().stream().noneMatch(h -> h.name().equals(name)),
        name + " deleted after the test");
    assertNull(server.farm().leases().get(run.leases.get(0)), "lease released");
    assertEquals(1, run.leased.size(), run.leased.toString());
    for (PciFunction f : run.leased) {
      assertEquals(Owner.HOST, f.owner(), f + " back with the host: released, not dropped");
      assertEquals(0, f.config().read(Header.COMMAND, 2), f + " reset by the release");
    }
  }

  /** The token really goes with every call: a wrong one fails the test, UNAUTHENTICATED. */
  @Test
  void aWrongTokenFailsTheFixtureUnauthenticated() {
    Run run = new Run(authenticated);
    EngineExecutionResults results = runSubject(run, Map.of(
        PcieFarmExtension.SERVER_PARAMETER, authenticated.tcpTarget(),
        PcieFarmExtension.TOKEN_PARAMETER, "not-the-token-0123456789"));
    List<Execution> failed = results.testEvents().executions().failed().list();
    assertEquals(1, failed.size(), () -> failures(results));
    Throwable t = failed.get(0).getTerminationInfo().getExecutionResult().getThrowable()
        .orElseThrow();
    assertEquals(Status.Code.UNAUTHENTICATED, assertInstanceOf(PcieFarmException.class, t)
        .code(), t.toString());
    assertTrue(run.targets.isEmpty(), "the test body never ran");
    assertEquals(0, authenticated.farm().size(), "nothing was created");
  }

  /**
   * The fixture test class under test. A nested class, so Surefire does not run it on its own
   * (and it skips itself when anything else does).
   */
  @PcieFarmFixture(topology = """
      {"name": "ci-box", "devices": [
        {"device": 1, "model": "root-port-acs", "children": [{"device": 0, "model": "nvme-ssd"}]},
        {"device": 2, "model": "root-port-acs", "children": [{"device": 0, "model": "nvme-ssd"}]}
      ]}""", functions = "01:00.0")
  static class Subject {
    @Test
    void usesItsLeasedHierarchy(HierarchyHandle machine, LeaseHandle lease, FixtureFarm farm) {
      Run run = current;
      assumeTrue(run != null, "run by RemoteFixtureTest only");
      assertTrue(farm.server().isEmpty(), "a remote farm, not one in this test's process");
      run.targets.add(farm.target());
      run.hierarchies.add(machine.name());
      run.leases.add(lease.id());
      run.tenants.add(lease.info().getTenant());
      Hierarchy h = run.server.farm().get(machine.name()); // on the named server
      Owner owner = Owner.lease(lease.id(), lease.info().getTenant());
      h.functions().stream().filter(f -> f.owner().equals(owner)).forEach(run.leased::add);

      FunctionHandle drive = machine.function("01:00.0");
      assertEquals(List.of(drive.address().toString()), lease.functions());
      // Reset through the handle (no lease id sent; a tenant that is no administrator in the
      // token case), then leave it dirty for the release to clean.
      assertEquals(List.of(lease.id()), drive.reset("flr").getAffectedList().stream()
          .map(AffectedFunction::getLeaseId).toList());
      drive.writeWord(Header.COMMAND, Header.COMMAND_MEMORY | Header.COMMAND_MASTER);
      assertEquals(Header.COMMAND_MEMORY | Header.COMMAND_MASTER,
          machine.function("01:00.0").readWord(Header.COMMAND));
    }
  }
}
