package io.pciefarm.reset;

import static io.pciefarm.reset.ResetFixture.fn;
import static io.pciefarm.reset.ResetFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * What a caller that answers before the reset is over needs from the engine: when a request
 * starts and when its reset is issued, and a way to withdraw a queued request.
 */
class ResetProgressTest {
  private static final String BOX = """
      {"name":"box","devices":[
        {"device":1,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd"}]},
        {"device":5,"model":"root-port-acs","children":[
          {"device":0,"model":"switch-upstream-port","children":[
            {"device":0,"model":"switch-downstream-port","children":[{"device":0,"model":"nvme-ssd"}]}]}]}]}""";

  private final ResetFixture x = new ResetFixture(BOX);

  /** Records what the engine reports. */
  private static final class Recorder implements Resets.Progress {
    final List<String> calls = new ArrayList<>();
    Resets.Issued issued;

    @Override
    public void started() {
      calls.add("started");
    }

    @Override
    public void issued(Resets.Issued i) {
      calls.add("issued");
      issued = i;
    }
  }

  @Test
  void anFlrIsIssuedAtOnceWithItsReadyTimeAndFinishesLater() throws Exception {
    Recorder r = new Recorder();
    CompletableFuture<ResetResult> f = x.h.resets().reset(request(fn("0000:01:00.0"), "flr"), r);
    assertEquals(List.of("started", "issued"), r.calls);
    assertEquals(ResetMethod.FLR, r.issued.plan().method());
    assertEquals(List.of("0000:01:00.0"), r.issued.notReady());
    assertEquals(x.at("0000:01:00.0").readyAt() - x.clock.nanoTime(), r.issued.readyInNanos());
    assertTrue(r.issued.readyInNanos() > 0);
    assertFalse(f.isDone(), "the function is not ready yet");
    x.clock.runAll();
    assertTrue(f.get().complete());
    assertEquals(List.of("started", "issued"), r.calls, "each once");
  }

  @Test
  void aBusResetIsIssuedWhenReleasedWithItsReadyTimeUnknown() {
    Recorder r = new Recorder();
    x.h.resets().reset(request(new ResetTarget.Bus(1), "bus"), r);
    assertEquals(List.of("started"), r.calls, "held asserted for a while first");
    x.advance(2);
    assertEquals(List.of("started", "issued"), r.calls);
    assertEquals(-1, r.issued.readyInNanos(), "the link still trains");
    x.clock.runAll();
  }

  @Test
  void cancellingAQueuedRequestWithdrawsIt() throws Exception {
    CompletableFuture<ResetResult> first = x.h.resets().reset(request(new ResetTarget.Bus(3),
        "bus"));
    Recorder r = new Recorder();
    CompletableFuture<ResetResult> queued = x.h.resets().reset(request(new ResetTarget.Bus(2),
        "bus"), r);
    assertEquals(1, x.h.resets().stats().queued());
    assertTrue(queued.cancel(false));
    assertEquals(0, x.h.resets().stats().queued(), "withdrawn at once");
    x.clock.runAll();
    assertTrue(first.get().complete());
    assertEquals(List.of(), r.calls, "a withdrawn request never starts");
    assertEquals(new Resets.Stats(1, 1, 0, 0), x.h.resets().stats());
  }

  @Test
  void cancellingARunningRequestLetsItFinish() {
    CompletableFuture<ResetResult> running = x.h.resets().reset(request(new ResetTarget.Bus(1),
        "bus"));
    running.cancel(false);
    assertEquals(1, x.h.resets().stats().running());
    x.clock.runAll();
    assertEquals(new Resets.Stats(1, 1, 0, 0), x.h.resets().stats());
  }
}
