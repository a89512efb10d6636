package io.pciefarm.bench.reset;

import io.pciefarm.bench.reset.FanoutTopology.Shape;
import io.pciefarm.ownership.Owner;
import io.pciefarm.reset.ResetMethod;
import io.pciefarm.reset.ResetRequest;
import io.pciefarm.reset.ResetResult;
import io.pciefarm.reset.ResetTarget;
import io.pciefarm.time.SystemFarmClock;
import io.pciefarm.time.TimeBase;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.HierarchyBuilder;
import io.pciefarm.topology.PciFunction;
import java.util.List;
import java.util.Set;

/**
 * A finding of the reset fan-out work, reproduced: on the real clock ({@link SystemFarmClock},
 * what a server runs) at time scale 0, a bus reset request reports the functions it reset as
 * not ready, although they are ready a moment later. The request's readiness deadline is
 * {@code Resets.READY_TIMEOUT} scaled like every model delay, so at scale 0 it is "now"; after
 * a bus reset the functions stay not ready until the link-training step (a clock task, even
 * with no delay) has run, which it has not when the request first checks, so it gives up at
 * once. An FLR is not affected: with no delay the function is made ready inside the call. (On
 * a {@code ManualClock} zero-delay tasks run inline and neither shows it.)
 *
 * <pre>
 * java -cp bench/target/benchmarks.jar io.pciefarm.bench.reset.ScaleZeroReadiness [rounds]
 * </pre>
 * Prints, per method, how many of the requests reported functions not ready, and whether
 * those functions were in fact ready 100 ms later.
 */
public final class ScaleZeroReadiness {
  private ScaleZeroReadiness() {}

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 100;
    try (SystemFarmClock clock = new SystemFarmClock()) {
      Hierarchy h = HierarchyBuilder.build(FanoutTopology.spec(Shape.PCI, 8),
          new TimeBase(clock, 0.0));
      PciFunction port = h.lookup(0, FanoutTopology.ROOT_PORT_DEVICE << 3);
      List<PciFunction> below = h.subtree(port);
      PciFunction nvme = HierarchyBuilder.build(FanoutTopology.spec(Shape.PCI, 1),
          new TimeBase(clock, 0.0)).functions().get(1);
      run("BUS (8 functions below 00:01.0)", h, rounds, below, new ResetRequest(
          new ResetTarget.Bus(port.secondaryBusNumber()), Set.of(ResetMethod.BUS),
          ResetRequest.Mode.WAIT, null, false, Owner.HOST));
      run("FLR (one NVMe drive)", nvme.hierarchy(), rounds, List.of(nvme), new ResetRequest(
          new ResetTarget.Function(nvme.address()), Set.of(ResetMethod.FLR),
          ResetRequest.Mode.WAIT, null, false, Owner.HOST));
    }
  }

  private static void run(String what, Hierarchy h, int rounds, List<PciFunction> fns,
      ResetRequest request) throws InterruptedException {
    int notReady = 0;
    int readyLater = 0;
    for (int i = 0; i < rounds; i++) {
      ResetResult r = h.resets().reset(request).join();
      if (!r.complete()) {
        notReady++;
        Thread.sleep(100);
        if (fns.stream().allMatch(PciFunction::ready)) {
          readyLater++;
        }
      }
    }
    System.out.printf("%s at time scale 0 on SystemFarmClock: %d of %d requests reported"
        + " functions not ready; in %d of those every function was ready 100 ms later%n",
        what, notReady, rounds, readyLater);
  }
}
