package io.pciefarm.client;

import static io.pciefarm.client.LiveServer.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.pciefarm.client.LiveServer.Via;
import io.pciefarm.farm.Farm;
import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.grpc.PcieFarmServer;
import io.pciefarm.proto.v1.ResetMethod;
import io.pciefarm.proto.v1.ResetResponse;
import io.pciefarm.reset.Resets;
import io.pciefarm.time.ManualClock;
import io.pciefarm.time.TimeBase;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Overlapping resets over gRPC, on a farm whose clock moves only when the test says so: a reset
 * holds its functions until the test lets time pass, so "busy" and "queued" are states the test
 * sets up, not races it hopes to win.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ResetQueueTest {
  private final ManualClock clock = new ManualClock();
  private PcieFarmServer server;
  private PcieFarmClient tcp;
  private PcieFarmClient unix;
  private Path dir;

  private static String spec(String name, int segment) {
    return """
        {"name":"%s","segment":%d,"devices":[
          {"device":1,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd"}]},
          {"device":2,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd"}]}]}"""
        .formatted(name, segment);
  }

  @BeforeAll
  void start() throws IOException {
    dir = Files.createTempDirectory("pciefarm-queue");
    server = PcieFarmServer.builder().farm(new Farm(new TimeBase(clock, 1.0)))
        .hierarchy(TopologyFiles.parse(spec("q-tcp", 0x520), "q-tcp"))
        .hierarchy(TopologyFiles.parse(spec("q-unix", 0x521), "q-unix"))
        .port(0).unixSocket(dir.resolve("farm.sock")).shutdownGrace(Duration.ofSeconds(2))
        .start();
    tcp = PcieFarmClient.connect(server.tcpTarget());
    unix = PcieFarmClient.connectUnix(server.unixSocket());
  }

  @AfterAll
  void stop() throws IOException {
    tcp.close();
    unix.close();
    server.close();
    Files.deleteIfExists(dir.resolve("farm.sock"));
    Files.deleteIfExists(dir);
  }

  private Resets resets(Via via) {
    return server.farm().get(via == Via.TCP ? "q-tcp" : "q-unix").resets();
  }

  private HierarchyHandle hierarchy(Via via) {
    return (via == Via.TCP ? tcp : unix).hierarchy(via == Via.TCP ? "q-tcp" : "q-unix");
  }

  private void awaitStats(Via via, int running, int queued) throws InterruptedException {
    ResetServiceTest.await("running " + running + ", queued " + queued, () -> {
      Resets.Stats s = resets(via).stats();
      return s.running() == running && s.queued() == queued;
    });
  }

  /**
   * Waits until at least {@code n} farm timers are pending. The stats count a job as running or
   * queued as soon as it is admitted; its timers (readiness, queue deadline) are scheduled just
   * after, so the test must not move the clock before they exist.
   */
  private void awaitTimers(int n) throws InterruptedException {
    ResetServiceTest.await(n + " timers pending", () -> clock.pending() >= n);
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void tryIsAbortedWaitQueuesAndAClientThatGivesUpIsWithdrawn(Via via) throws Exception {
    HierarchyHandle h = hierarchy(via);
    Resets.Stats before = resets(via).stats();
    // An FLR holds its function until the function is ready: 100 ms of farm time, which
    // passes only when the test advances the clock.
    CompletableFuture<ResetResponse> first = h.resetAsync(ResetSpec.function("01:00.0")
        .methods("flr"));
    awaitStats(via, 1, 0);
    awaitTimers(1);
    int timers = clock.pending();

    // TRY: ABORTED at once, retryable, with a suggested delay.
    PcieFarmException busy = expect(Status.Code.ABORTED,
        () -> h.reset(ResetSpec.function("01:00.0").methods("flr").tryOnce()));
    boolean retryInfo = false;
    for (Any any : StatusProto.fromThrowable(busy.getCause()).getDetailsList()) {
      retryInfo |= any.is(RetryInfo.class);
    }
    assertTrue(retryInfo, "RetryInfo in " + busy);

    // WAIT with a timeout: queues, then gives up when the farm's time passes it.
    CompletableFuture<ResetResponse> late = h.resetAsync(ResetSpec.bus(1).methods("bus")
        .waitUpTo(Duration.ofMillis(5)));
    awaitStats(via, 1, 1);
    awaitTimers(timers + 1);
    clock.advance(Duration.ofMillis(5));
    CompletionException e = assertThrows(CompletionException.class, late::join);
    assertEquals(Status.Code.DEADLINE_EXCEEDED, ((PcieFarmException) e.getCause()).code());
    awaitStats(via, 1, 0);

    // WAIT until the call's deadline: the client gives up, the server withdraws the request.
    expect(Status.Code.DEADLINE_EXCEEDED, () -> h.reset(ResetSpec.function("01:00.0")
        .methods("flr").deadline(Duration.ofMillis(300))));
    awaitStats(via, 1, 0);

    // The caller cancels a queued request: withdrawn too.
    CompletableFuture<ResetResponse> cancelled = h.resetAsync(ResetSpec.device("01:00.0")
        .methods("flr"));
    awaitStats(via, 1, 1);
    cancelled.cancel(true);
    awaitStats(via, 1, 0);

    // A disjoint reset runs meanwhile.
    CompletableFuture<ResetResponse> disjoint = h.resetAsync(ResetSpec.function("02:00.0")
        .methods("flr"));
    awaitStats(via, 2, 0);

    // Time passes until both are done (the disjoint reset's timers may not exist yet).
    ResetServiceTest.await("both resets finished", () -> {
      clock.runAll();
      return first.isDone() && disjoint.isDone();
    });
    ResetResponse r = first.get();
    assertEquals(ResetMethod.RESET_METHOD_FLR, r.getMethod());
    assertEquals(List.of(), r.getNotReadyList());
    assertEquals(ResetMethod.RESET_METHOD_FLR, disjoint.get().getMethod());
    Resets.Stats after = resets(via).stats();
    assertEquals(before.started() + 2, after.started(), "withdrawn requests never started");
    assertEquals(after.started(), after.finished());
    assertFalse(first.isCompletedExceptionally());
  }
  /**
   * {@code pciefarm reset --try} while another reset holds the function: one line on stderr,
   * ABORTED-style ("busy ... try again"), nothing on stdout, a non-zero exit; the running
   * reset is untouched.
   */
  @ParameterizedTest
  @EnumSource(Via.class)
  void theCliTryWhenBusyIsOneLineAndExitsNonZero(Via via) throws Exception {
    HierarchyHandle h = hierarchy(via);
    String fn = String.format("%04x:02:00.0", via == Via.TCP ? 0x520 : 0x521);
    Resets.Stats before = resets(via).stats();
    CompletableFuture<ResetResponse> running = h.resetAsync(ResetSpec.function("02:00.0")
        .methods("flr"));
    awaitStats(via, 1, 0);
    java.io.StringWriter out = new java.io.StringWriter();
    java.io.StringWriter err = new java.io.StringWriter();
    int code = io.pciefarm.cli.PcieFarmCli.run(new String[] {"reset",
        via == Via.TCP ? "--server" : "--unix",
        via == Via.TCP ? server.tcpTarget() : server.unixSocket().toString(),
        "-s", fn, "--method", "flr", "--try"}, new java.io.PrintWriter(out, true),
        new java.io.PrintWriter(err, true));
    assertEquals(1, code, err.toString());
    assertEquals("", out.toString());
    List<String> lines = err.toString().lines().toList();
    assertEquals(1, lines.size(), err.toString());
    assertTrue(lines.get(0).startsWith("pciefarm reset: ") && lines.get(0).contains("busy")
        && lines.get(0).contains("try again"), lines.get(0));
    assertFalse(running.isDone(), "the running reset goes on");
    ResetServiceTest.await("the running reset finished", () -> {
      clock.runAll();
      return running.isDone();
    });
    assertEquals(ResetMethod.RESET_METHOD_FLR, running.get().getMethod());
    assertEquals(before.started() + 1, resets(via).stats().started(), "--try started nothing");
  }
  /**
   * From the moment a lease is released until its clean-up reset is done, its functions are
   * nobody's: a write or a reset by the tenant that held it is refused, with a message saying
   * why, rather than landing on a device about to be reset (or just reset) for the pool.
   */
  @ParameterizedTest
  @EnumSource(Via.class)
  void aReleasedLeasesFunctionsRefuseWritesUntilTheirResetIsDone(Via via) throws Exception {
    PcieFarmClient c = via == Via.TCP ? tcp : unix;
    HierarchyHandle h = hierarchy(via);
    FunctionHandle drive = h.function("01:00.0");
    io.pciefarm.topology.PciFunction engine = server.farm().get(h.name()).lookup(
        io.pciefarm.topology.PciAddress.parse(drive.address().toString()));
    LeaseHandle lease = h.leaseFunctions("01:00.0");
    assertTrue(drive.writeWord(io.pciefarm.spec.Header.COMMAND,
        io.pciefarm.spec.Header.COMMAND_MASTER));
    CompletableFuture<io.pciefarm.proto.v1.ReleaseResponse> released =
        CompletableFuture.supplyAsync(() -> c.release(lease.id()));
    ResetServiceTest.await("the lease ended, its reset waiting for farm time",
        () -> engine.owner().isReleased() && clock.pending() > 0);

    PcieFarmException write = expect(Status.Code.PERMISSION_DENIED,
        () -> drive.writeWord(io.pciefarm.spec.Header.COMMAND, 0x6));
    assertTrue(write.getMessage().contains("being reset after lease " + lease.id() + " ended"),
        write.getMessage());
    PcieFarmException reset = expect(Status.Code.FAILED_PRECONDITION,
        () -> drive.reset("flr"));
    assertEquals(List.of(drive.address().toString()), reset.blockingFunctions());
    assertFalse(released.isDone(), "Release answers once the functions are back");

    ResetServiceTest.await("the release's reset finished", () -> {
      clock.runAll();
      return released.isDone();
    });
    assertTrue(released.get().getReleased());
    assertEquals(io.pciefarm.ownership.Owner.HOST, engine.owner());
    assertEquals(0, drive.readWord(io.pciefarm.spec.Header.COMMAND), "reset, and nothing after");
    lease.release(); // the handle: already gone
  }
}
