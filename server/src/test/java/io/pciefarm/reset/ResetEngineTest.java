package io.pciefarm.reset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.spec.AdvancedFeatures;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.ExtendedCapabilities;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.PciExpress;
import io.pciefarm.spec.PowerManagement;
import io.pciefarm.spec.Type1;
import io.pciefarm.topology.ConfigRetryException;
import io.pciefarm.topology.PciFunction;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** Every reset method driven through the registers, as an OS drives it. */
class ResetEngineTest {
  private static final String BOX = """
      {"name":"box","devices":[
        {"device":1,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd"}]},
        {"device":2,"model":"root-port-acs","children":[{"device":0,"model":"gpu"}]},
        {"device":3,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd-slow-flr"}]},
        {"device":4,"model":"root-port-acs","children":[{"device":0,"model":"nic-flr-hang"}]},
        {"device":5,"model":"root-port-acs","children":[{"device":0,"model":"nic-sriov"}]},
        {"device":6,"model":"root-port-acs","children":[{"device":0,"model":"wifi-no-bus-reset"}]},
        {"device":7,"model":"qat-rciep"},
        {"device":8,"model":"root-port-acs","children":[
          {"device":0,"model":"switch-upstream-port","children":[
            {"device":0,"model":"switch-downstream-port","children":[{"device":0,"model":"usb3-bus-reset-only"}]}]}]}]}""";

  private final ResetFixture x = new ResetFixture(BOX);

  private static int exp(PciFunction f) {
    return f.model().layout().capability(CapabilityId.EXP);
  }

  private void flr(PciFunction f) {
    int devctl = exp(f) + PciExpress.DEVICE_CONTROL;
    x.h.write(f.address().bus(), f.deviceNumber(), f.functionNumber(), devctl, 2,
        f.config().read(devctl, 2) | PciExpress.DEVCTL_BCR_FLR);
  }

  private int vendor(String address) {
    PciFunction f = x.at(address);
    return x.h.read(f.address().bus(), f.deviceNumber(), f.functionNumber(), 0, 2);
  }

  @Test
  void flrResetsNonStickyKeepsStickyAndAnswersRetryStatusFor100ms() {
    PciFunction nvme = x.at("0000:01:00.0");
    int aer = nvme.model().layout().extendedCapability(CapabilityId.EXT_AER);
    int uncorStatus = aer + ExtendedCapabilities.AER_UNCOR_STATUS;
    nvme.config().hardwareUpdate(uncorStatus, 4, 0, 1 << 14); // completion timeout, RW1CS
    int bar0 = nvme.config().read(Header.BAR0, 4);
    assertTrue(bar0 != 0 && (nvme.config().read(Header.COMMAND, 2) & Header.COMMAND_MEMORY) != 0);

    flr(nvme);
    assertEquals(0, nvme.config().read(Header.BAR0, 4) & ~0xF, "BAR back to its default");
    assertEquals(0, nvme.config().read(Header.COMMAND, 2), "decode off");
    assertEquals(1 << 14, nvme.config().read(uncorStatus, 4), "sticky error status survives FLR");
    // Not ready: Vendor ID reads 0x0001 (the root port has RRS Software Visibility on) ...
    assertEquals(0x0001, vendor("0000:01:00.0"));
    assertEquals(0xFFFF_0001, x.h.read(1, 0, 0, 0, 4));
    // ... and every other access must be retried.
    assertThrows(ConfigRetryException.class, () -> x.h.read(1, 0, 0, Header.COMMAND, 2));
    assertThrows(ConfigRetryException.class, () -> x.h.read(1, 0, 0, 0, 1));
    assertThrows(ConfigRetryException.class, () -> x.h.write(1, 0, 0, Header.COMMAND, 2, 2));
    x.advance(99);
    assertEquals(0x0001, vendor("0000:01:00.0"));
    x.advance(1);
    assertEquals(0x144d, vendor("0000:01:00.0"));
    assertEquals(0, x.h.read(1, 0, 0, Header.COMMAND, 2));
  }

  @Test
  void retryIsInvisibleWithoutRrsSoftwareVisibility() {
    PciFunction port = x.at("0000:00:01.0");
    int rootctl = exp(port) + PciExpress.ROOT_CONTROL;
    port.config().write(rootctl, 2, port.config().read(rootctl, 2) & ~PciExpress.RTCTL_RRS_SVE);
    flr(x.at("0000:01:00.0"));
    assertThrows(ConfigRetryException.class, () -> vendor("0000:01:00.0"));
  }

  @Test
  void slowDeviceIsNotReady100msAfterFlr() {
    flr(x.at("0000:03:00.0"));
    x.advance(100);
    assertEquals(0x0001, vendor("0000:03:00.0"));
    x.advance(900);
    assertEquals(0x8086, vendor("0000:03:00.0"));
  }

  @Test
  void deviceThatNeverReturnsAfterFlrRecoversOnlyByBusReset() {
    PciFunction nic = x.at("0000:04:00.0");
    flr(nic);
    x.advance(600_000);
    assertEquals(0x0001, vendor("0000:04:00.0"));
    assertTrue(nic.neverReady());
    PciFunction port = x.at("0000:00:04.0");
    port.config().write(Type1.BRIDGE_CONTROL, 2, Type1.BRIDGE_CTL_BUS_RESET);
    x.advance(2);
    port.config().write(Type1.BRIDGE_CONTROL, 2, 0);
    x.advance(200);
    assertEquals(0x10ec, vendor("0000:04:00.0"));
  }

  @Test
  void afFlrOnIntegratedEndpointWithImmediateReadiness() {
    PciFunction qat = x.at("0000:00:07.0");
    int ctl = qat.model().layout().capability(CapabilityId.AF) + AdvancedFeatures.CONTROL;
    qat.config().write(Header.COMMAND, 2, Header.COMMAND_MASTER);
    x.h.write(0, 7, 0, ctl, 1, AdvancedFeatures.CONTROL_INITIATE_FLR);
    assertEquals(0, x.h.read(0, 7, 0, Header.COMMAND, 2), "reset, and ready at once");
    assertEquals(0, x.h.read(0, 7, 0, ctl, 1), "Initiate FLR reads 0");
  }

  private void d3hotThenD0(PciFunction f) {
    int pmcsr = f.model().layout().capability(CapabilityId.PM) + PowerManagement.PMCSR;
    f.config().write(pmcsr, 2, PowerManagement.PMCSR_D3HOT);
    x.advance(10);
    f.config().write(pmcsr, 2, PowerManagement.PMCSR_D0);
  }

  @Test
  void pmResetResetsAFunctionThatHonoursIt() {
    PciFunction nic = x.at("0000:05:00.0");
    assertTrue(nic.config().read(Header.BAR0, 4) != 0xC);
    d3hotThenD0(nic);
    assertEquals(0xC, nic.config().read(Header.BAR0, 4), "64-bit prefetchable BAR back to 0");
    assertThrows(ConfigRetryException.class, () -> x.h.read(5, 0, 0, Header.COMMAND, 2));
    x.advance(10);
    assertEquals(0, x.h.read(5, 0, 0, Header.COMMAND, 2));
  }

  @Test
  void gpuPmResetDoesNothing() {
    PciFunction gpu = x.at("0000:02:00.0");
    int command = gpu.config().read(Header.COMMAND, 2);
    int bar1 = gpu.config().read(Header.BAR0 + 4, 4);
    d3hotThenD0(gpu);
    x.advance(10);
    assertEquals(command, x.h.read(2, 0, 0, Header.COMMAND, 2));
    assertEquals(bar1, x.h.read(2, 0, 0, Header.BAR0 + 4, 4), "state survived the 'reset'");
  }

  /**
   * D3hot to D0 with No_Soft_Reset set is no reset: state kept, and the function answers again
   * once the D3hot recovery time has passed, settled (not left waiting on the clock for good).
   */
  @Test
  void d3hotToD0WithNoSoftResetKeepsStateAndSettles() {
    PciFunction qat = x.at("0000:00:07.0");
    qat.config().write(Header.COMMAND, 2, Header.COMMAND_MASTER);
    d3hotThenD0(qat);
    assertThrows(ConfigRetryException.class, () -> x.h.read(0, 7, 0, Header.COMMAND, 2));
    x.advance(qat.model().d3hotDelay().toMillis());
    assertEquals(Header.COMMAND_MASTER, x.h.read(0, 7, 0, Header.COMMAND, 2), "no reset");
    assertTrue(qat.settled(), "ready, with no wait left pending");
  }

  @Test
  void unsupportedPowerStateIsIgnored() {
    PciFunction nvme = x.at("0000:01:00.0"); // no D1 support
    int pmcsr = nvme.model().layout().capability(CapabilityId.PM) + PowerManagement.PMCSR;
    nvme.config().write(pmcsr, 2, 1);
    assertEquals(0, nvme.config().read(pmcsr, 2) & PowerManagement.PMCSR_STATE_MASK);
  }

  @Test
  void secondaryBusResetTakesTheLinkDownResetsBelowAndRetrains() {
    PciFunction port = x.at("0000:00:02.0");
    PciFunction gpu0 = x.at("0000:02:00.0");
    int lnksta = exp(port) + PciExpress.LINK_STATUS;
    assertTrue((port.config().read(lnksta, 2) & PciExpress.LNKSTA_DLL_LINK_ACTIVE) != 0);
    List<String> seen = new ArrayList<>();
    x.h.resetEngine().observer(new ResetObserver() {
      @Override
      public void linkChanged(PciFunction p, boolean up) {
        seen.add("link " + (up ? "up" : "down"));
      }

      @Override
      public void resetFinished(PciFunction.ResetInProgress r) {
        seen.add("ready " + r.function().functionNumber() + " " + r.method().sysfsName());
      }
    });
    x.h.write(0, 2, 0, Type1.BRIDGE_CONTROL, 2, Type1.BRIDGE_CTL_BUS_RESET);
    assertEquals(0, port.config().read(lnksta, 2) & PciExpress.LNKSTA_DLL_LINK_ACTIVE);
    assertEquals(0xFFFF, x.h.read(2, 0, 0, 0, 2),
        "the subtree answers nothing while reset is asserted");
    x.advance(5);
    x.h.write(0, 2, 0, Type1.BRIDGE_CONTROL, 2, 0);
    assertEquals(0xFFFF, x.h.read(2, 0, 0, 0, 2), "link still training");
    x.advance(20);
    assertTrue((port.config().read(lnksta, 2) & PciExpress.LNKSTA_DLL_LINK_ACTIVE) != 0);
    assertEquals(0x0001, x.h.read(2, 0, 0, 0, 2), "link up, device not ready yet");
    x.advance(100);
    assertEquals(0x10de, x.h.read(2, 0, 0, 0, 2));
    assertEquals(0, gpu0.config().read(Header.COMMAND, 2), "the GPU was reset");
    assertEquals(List.of("link down", "link up", "ready 0 bus", "ready 1 bus"), seen);
  }

  /**
   * Runs {@code other} on a second thread while this one is inside an observer callback, and
   * returns once that thread has either reported its {@code mark} to {@code seen} (it got
   * through) or is blocked on the function's lock (the engine holds it while reporting). No
   * timing: whichever state comes first decides.
   */
  private static Thread interleave(Runnable other, List<String> seen, String mark) {
    long before = seen.stream().filter(mark::equals).count();
    Thread t = new Thread(other, "interleaved");
    t.start();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long giveUp = System.nanoTime() + 30_000_000_000L; // a hang, not a measurement
    while (seen.stream().filter(mark::equals).count() == before) {
      ThreadInfo info = threads.getThreadInfo(t.getId());
      if (info != null && info.getThreadState() == Thread.State.BLOCKED
          && String.valueOf(info.getLockName()).startsWith(PciFunction.class.getName())) {
        break;
      }
      if (!t.isAlive() && seen.stream().filter(mark::equals).count() == before) {
        throw new AssertionError("the other thread ended without reporting " + mark);
      }
      if (System.nanoTime() - giveUp > 0) {
        throw new AssertionError("the other thread neither reported " + mark + " nor blocked");
      }
      Thread.onSpinWait();
    }
    return t;
  }

  /**
   * The settle step of a reset and a newer reset of the same function started by another
   * thread (a client that saw the function ready and wrote FLR): READY of the first is never
   * reported after the second's start, whichever thread gets there first.
   */
  @Test
  void readyIsNeverReportedAfterANewerResetStarted() throws Exception {
    PciFunction nvme = x.at("0000:01:00.0");
    List<String> seen = new CopyOnWriteArrayList<>();
    Thread[] other = new Thread[1];
    x.h.resetEngine().observer(new ResetObserver() {
      @Override
      public void resetStarted(PciFunction.ResetInProgress r) {
        seen.add("started");
      }

      @Override
      public void resetFinished(PciFunction.ResetInProgress r) {
        seen.add("finished");
      }

      @Override
      public void ready(PciFunction.ResetInProgress r) {
        if (other[0] == null) {
          other[0] = interleave(() -> flr(nvme), seen, "started");
        }
        seen.add("ready");
      }
    });
    flr(nvme);
    x.advance(100);
    other[0].join();
    assertEquals(List.of("started", "ready", "finished", "started"), seen);
    x.advance(100);
    assertEquals(List.of("started", "ready", "finished", "started", "ready", "finished"), seen);
  }

  /**
   * A reset is never reported ended before it is reported started: a card pulled while
   * another thread is starting a reset of it ends that reset after its start.
   */
  @Test
  void aResetEndsOnlyAfterItsStartIsReported() throws Exception {
    PciFunction nvme = x.at("0000:01:00.0");
    List<String> seen = new CopyOnWriteArrayList<>();
    Thread[] other = new Thread[1];
    x.h.resetEngine().observer(new ResetObserver() {
      @Override
      public void resetStarted(PciFunction.ResetInProgress r) {
        if (other[0] == null) {
          other[0] = interleave(() -> x.h.resetEngine().removed(List.of(nvme)), seen, "failed");
        }
        seen.add("started");
      }

      @Override
      public void resetFailed(PciFunction.ResetInProgress r, String reason) {
        seen.add("failed");
      }
    });
    flr(nvme);
    other[0].join();
    assertEquals(List.of("started", "failed"), seen);
  }

  @Test
  void busResetBelowASwitchClearsTheSwitchPortsBusNumbers() {
    x.h.write(0, 8, 0, Type1.BRIDGE_CONTROL, 2, Type1.BRIDGE_CTL_BUS_RESET);
    x.h.write(0, 8, 0, Type1.BRIDGE_CONTROL, 2, 0);
    x.advance(1000);
    PciFunction up = x.h.lookup(x.at("0000:00:08.0").secondaryBusNumber(), 0);
    assertEquals(0x10b5, up.config().read(0, 2));
    assertEquals(0, up.secondaryBusNumber(), "the switch must be enumerated again");
    PciFunction usb = x.h.functions().stream()
        .filter(f -> f.deviceModel().name().equals("usb3-bus-reset-only")).findFirst().orElseThrow();
    assertNull(usb.address(), "below the reset switch nothing is routed");
  }

  @Test
  void noBusResetQuirkIgnoresTheBusReset() {
    PciFunction wifi = x.at("0000:06:00.0");
    int command = wifi.config().read(Header.COMMAND, 2);
    assertTrue(command != 0);
    x.h.write(0, 6, 0, Type1.BRIDGE_CONTROL, 2, Type1.BRIDGE_CTL_BUS_RESET);
    x.h.write(0, 6, 0, Type1.BRIDGE_CONTROL, 2, 0);
    x.advance(1000);
    assertEquals(command, x.h.read(6, 0, 0, Header.COMMAND, 2));
  }

  @Test
  void powerCycleClearsStickyBitsToo() {
    PciFunction nvme = x.at("0000:01:00.0");
    int aer = nvme.model().layout().extendedCapability(CapabilityId.EXT_AER)
        + ExtendedCapabilities.AER_UNCOR_STATUS;
    nvme.config().hardwareUpdate(aer, 4, 0, 1 << 14);
    x.h.resetEngine().powerCycle(x.at("0000:00:01.0"));
    assertEquals(0xFFFF, x.h.read(1, 0, 0, 0, 2), "no power, no link");
    x.advance(1000);
    assertEquals(0x144d, x.h.read(1, 0, 0, 0, 2));
    assertEquals(0, nvme.config().read(aer, 4));
  }

  @Test
  void timeScaleZeroMakesEveryResetInstant() {
    x.h.timeScale(0);
    flr(x.at("0000:03:00.0"));
    assertEquals(0x8086, vendor("0000:03:00.0"));
    x.h.write(0, 2, 0, Type1.BRIDGE_CONTROL, 2, Type1.BRIDGE_CTL_BUS_RESET);
    x.h.write(0, 2, 0, Type1.BRIDGE_CONTROL, 2, 0);
    assertEquals(0x10de, x.h.read(2, 0, 0, 0, 2));
    assertSame(0, x.clock.pending());
    assertFalse(x.at("0000:02:00.0").neverReady());
  }
}
