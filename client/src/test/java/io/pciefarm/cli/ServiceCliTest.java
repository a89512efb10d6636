package io.pciefarm.cli;

import static io.pciefarm.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.cli.CliTest.Result;
import io.pciefarm.client.LiveServer;
import io.pciefarm.events.EventLog;
import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.ownership.Lease;
import io.pciefarm.ownership.Leases;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** reset, reset-method, hotplug and events through PcieFarmCli.run against a live server. */
class ServiceCliTest extends LiveServer {
  private String[] at(Via via, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add(1, via == Via.TCP ? "--server" : "--unix");
    all.add(2, via == Via.TCP ? server.tcpTarget() : server.unixSocket().toString());
    return all.toArray(String[]::new);
  }

  /** nvme at SS:01:00.0, gpu at SS:02:00.0, usb in slot 7 at SS:03:00.0, hung NIC at SS:04:00.0. */
  private Hierarchy box(String name, int segment) {
    return server.farm().create(TopologyFiles.parse("""
        {"name":"%s","segment":%d,"timeScale":0,"devices":[
          {"device":1,"model":"root-port-acs","children":[{"device":0,"model":"nvme-ssd"}]},
          {"device":2,"model":"root-port-acs","children":[{"device":0,"model":"gpu"}]},
          {"device":3,"model":"root-port-hotplug-acs","slot":7,
           "children":[{"device":0,"model":"usb3-bus-reset-only"}]},
          {"device":5,"model":"root-port-acs","children":[{"device":0,"model":"nic-flr-hang"}]},
          {"device":6,"model":"root-port-hotplug-acs","slot":8}]}""".formatted(name, segment),
        name));
  }

  private static Result ok(Result r) {
    assertEquals(0, r.code(), () -> "stdout: " + r.out() + "\nstderr: " + r.err());
    assertEquals("", r.err());
    return r;
  }

  private static String error(Result r, int code) {
    assertEquals(code, r.code(), () -> "stdout: " + r.out() + "\nstderr: " + r.err());
    return r.errLine();
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void resetEveryKindOfTarget(Via via) throws Exception {
    String n = "test-cli-rst-" + via.name().toLowerCase();
    int seg = via == Via.TCP ? 0x550 : 0x551;
    box(n, seg);
    String s = String.format("%04x", seg);
    try {
      Result flr = ok(run(at(via, "reset", "-s", s + ":01:00.0", "--method", "flr")));
      assertTrue(flr.out().startsWith("flr reset of function " + s + ":01:00.0: 1 function(s)"),
          flr.out());
      assertTrue(flr.out().contains(" s after the reset was issued"), flr.out());
      Result probe = ok(run(at(via, "reset", "-s", s + ":01:00.0", "--probe")));
      assertTrue(probe.out().contains("method:    device_specific"), probe.out());
      assertTrue(probe.out().contains("supported: device_specific flr bus"), probe.out());
      assertTrue(probe.out().contains("permitted: yes"), probe.out());
      assertTrue(probe.out().lines().anyMatch(l -> l.startsWith(s + ":01:00.0")
          && l.contains("host")), probe.out());

      assertTrue(ok(run(at(via, "reset", "-s", s + ":02:00.1", "--device", "--method", "pm")))
          .out().startsWith("pm reset of device " + s + ":02:00.1: 2 function(s)"));
      assertTrue(ok(run(at(via, "reset", "--slot", "7", "-H", n))).out()
          .startsWith("slot reset of slot 7 of " + n));
      assertTrue(ok(run(at(via, "reset", "--slot", "7", "-s", s + ":01:00.0"))).out()
          .startsWith("slot reset of slot 7 of " + n));
      assertTrue(ok(run(at(via, "reset", "-s", s + ":00:03.0", "--slot", "--method",
          "power_cycle"))).out().startsWith("power_cycle reset of slot of " + s + ":00:03.0"));
      assertTrue(ok(run(at(via, "reset", "--bus", s + ":01"))).out()
          .startsWith("bus reset of bus 01 of " + n));
      assertTrue(ok(run(at(via, "reset", "-s", s + ":00:01.0", "--bus", "--try"))).out()
          .startsWith("bus reset of bus below " + s + ":00:01.0"));
      assertTrue(ok(run(at(via, "reset", "-s", s + ":01:00.0", "--method", "FUNC", "--wait",
          "--timeout", "5s", "--save-restore"))).out().contains("saved and restored"));
      assertTrue(ok(run(at(via, "reset", "-s", s + ":01:00.0", "--no-wait-ready"))).out()
          .startsWith("device_specific reset"));

      String root = error(run(at(via, "reset", "--bus", s + ":00")), 1);
      assertTrue(root.startsWith("pciefarm reset: ") && root.contains("root bus"), root);
      Result hung = run(at(via, "reset", "-s", s + ":04:00.0", "--method", "flr"));
      assertTrue(error(hung, 1).contains("did not become ready"), hung.err());
      assertTrue(hung.out().contains("not ready: " + s + ":04:00.0"), hung.out());
      ok(run(at(via, "reset", "-s", s + ":04:00.0", "--method", "bus")));
      assertTrue(error(run(at(via, "reset", "-s", s + ":09:00.0")), 1)
          .contains("no function answers"));

      for (String[] usage : List.of(new String[] {"reset"},
          new String[] {"reset", "-s", s + ":01:00.0", "--device", "--bus"},
          new String[] {"reset", "-s", s + ":01:00.0", "--method", "warp"},
          new String[] {"reset", "-s", s + ":01:00.0", "--try", "--timeout", "1s"},
          new String[] {"reset", "-s", s + ":01:00.0", "--timeout", "banana"},
          new String[] {"reset", "-s", "zz"},
          new String[] {"reset", "--bus", "1:2:3"},
          new String[] {"reset", "--slot", "7"})) {
        String line = error(run(at(via, usage)), 2);
        assertTrue(line.startsWith("pciefarm reset: ") && line.endsWith(
            "(see pciefarm reset --help)"), line);
      }
    } finally {
      server.farm().delete(n);
    }
  }

  @Test
  void resetOfLeasedFunctionsIsForTheirTenant() throws Exception {
    Hierarchy h = box("test-cli-lease", 0x552);
    Leases leases = server.farm().leases();
    Lease theirs = leases.acquire(new Leases.Request(h, List.of(),
        List.of(PciAddress.parse("0552:02:00.0")), Duration.ofMinutes(5), "tenant-a", "alice",
        false, null)).get();
    try {
      Result probe = ok(run(at(Via.TCP, "reset", "-s", "0552:02:00.0", "--device", "--probe")));
      assertTrue(probe.out().contains("permitted: no (2 function(s)"), probe.out());
      assertTrue(probe.out().contains(theirs.id()), probe.out());
      String refused = error(run(at(Via.TCP, "reset", "-s", "0552:02:00.0", "--device")), 1);
      assertTrue(refused.contains(theirs.id()), refused);
      assertTrue(error(run(at(Via.TCP, "reset", "-s", "0552:02:00.0", "--device", "--lease",
          theirs.id())), 1).contains("another tenant"));
    } finally {
      leases.release(theirs.id(), "tenant-a").get();
    }
    Lease mine = leases.acquire(new Leases.Request(h, List.of(),
        List.of(PciAddress.parse("0552:02:00.0")), Duration.ofMinutes(5),
        io.pciefarm.grpc.Caller.LOCAL.tenant(), "me", false, null)).get();
    try {
      Result r = ok(run(at(Via.TCP, "reset", "-s", "0552:02:00.0", "--device", "--lease",
          mine.id())));
      assertTrue(r.out().contains("lease " + mine.id()), r.out());
      // Without --lease too: the tenant's own leases count, as for setpci.
      Result own = ok(run(at(Via.TCP, "reset", "-s", "0552:02:00.0", "--device")));
      assertTrue(own.out().contains("lease " + mine.id()), own.out());
    } finally {
      leases.release(mine.id(), io.pciefarm.grpc.Caller.LOCAL.tenant()).get();
      server.farm().delete("test-cli-lease");
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void resetMethodReadsAndWritesLikeSysfs(Via via) {
    String n = "test-cli-rm-" + via.name().toLowerCase();
    int seg = via == Via.TCP ? 0x553 : 0x554;
    box(n, seg);
    String nvme = String.format("%04x:01:00.0", seg);
    try {
      assertEquals("device_specific flr bus\n", ok(run(at(via, "reset-method", "-s", nvme)))
          .out());
      assertEquals("bus flr\n", ok(run(at(via, "reset-method", "-s", nvme, "bus,flr"))).out());
      assertEquals("bus flr\nsupported: device_specific flr bus\n",
          ok(run(at(via, "reset-method", "-s", nvme, "-v"))).out());
      String pm = error(run(at(via, "reset-method", "-s", nvme, "pm")), 1);
      assertTrue(pm.contains("does not support reset method 'pm'"), pm);
      assertEquals("bus flr\n", ok(run(at(via, "reset-method", "-s", nvme))).out(),
          "a refused list keeps the old one");
      assertEquals("\n", ok(run(at(via, "reset-method", "-s", nvme, ""))).out(),
          "empty: resets disabled");
      assertTrue(error(run(at(via, "reset", "-s", nvme)), 1).contains("resets are disabled"));
      assertEquals("device_specific flr bus\n", ok(run(at(via, "reset-method", "-s", nvme,
          "default"))).out());
      assertTrue(error(run(at(via, "reset-method", "-s", nvme, "warp")), 2)
          .contains("unknown reset method 'warp'"));
      error(run(at(via, "reset-method")), 2);
    } finally {
      server.farm().delete(n);
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void hotplugListsSlotsAndActsOnThem(Via via) {
    String n = "test-cli-hp-" + via.name().toLowerCase();
    int seg = via == Via.TCP ? 0x555 : 0x556;
    Hierarchy h = box(n, seg);
    try {
      Result list = ok(run(at(via, "hotplug", n)));
      assertEquals(3, list.out().lines().count(), list.out());
      assertTrue(list.out().lines().anyMatch(l -> l.trim().startsWith("7 ")
          && l.contains("present") && l.contains("usb3-bus-reset-only")), list.out());
      assertTrue(list.out().lines().anyMatch(l -> l.trim().startsWith("8 ")
          && l.contains("empty")), list.out());
      Result status = ok(run(at(via, "hotplug", n, "8")));
      assertTrue(status.out().startsWith("slot 8 of " + n), status.out());
      assertTrue(status.out().contains("card:        (empty)"), status.out());
      assertTrue(status.out().contains("attention-button power-controller mrl-sensor"),
          status.out());

      Result in = ok(run(at(via, "hotplug", n, "8", "insert", "nvme-ssd", "--label", "disk")));
      assertTrue(in.out().contains("card:        nvme-ssd"), in.out());
      Result button = ok(run(at(via, "hotplug", n, "8", "button")));
      assertTrue(button.out().contains(String.format("Slot Status %04x",
          h.hotPlug().state(8).slotStatus())), button.out());
      assertEquals(io.pciefarm.spec.PciExpress.SLTSTA_ABP, h.hotPlug().state(8).slotStatus()
          & io.pciefarm.spec.PciExpress.SLTSTA_ABP);
      assertTrue(ok(run(at(via, "hotplug", n, "8", "mrl-open"))).out()
          .contains("latch open"));
      assertTrue(ok(run(at(via, "hotplug", n, "8", "mrl-close"))).out()
          .contains("latch closed"));
      assertTrue(ok(run(at(via, "hotplug", n, "7", "fault"))).out().contains("power:       off"));
      assertTrue(ok(run(at(via, "hotplug", n, "8", "remove"))).out()
          .contains("card:        (empty)"));

      assertTrue(error(run(at(via, "hotplug", n, "9")), 1).contains("no hot-plug slot 9"));
      assertTrue(error(run(at(via, "hotplug", n, "8", "remove")), 1).contains("empty"));
      assertTrue(error(run(at(via, "hotplug", n, "8", "insert", "warp")), 1)
          .contains("unknown model 'warp'"));
      assertTrue(error(run(at(via, "hotplug", "no-such-hierarchy")), 1)
          .contains("no hierarchy named"));
      error(run(at(via, "hotplug", n, "8", "frobnicate")), 2);
      error(run(at(via, "hotplug", n, "8", "insert")), 2);
      error(run(at(via, "hotplug", n, "8", "remove", "nvme-ssd")), 2);
      error(run(at(via, "hotplug", n, "eight")), 2);
    } finally {
      server.farm().delete(n);
    }
  }

  @ParameterizedTest
  @EnumSource(Via.class)
  void eventsReplaysAndFollows(Via via) throws Exception {
    String n = "test-cli-ev-" + via.name().toLowerCase();
    int seg = via == Via.TCP ? 0x557 : 0x558;
    box(n, seg);
    try {
      client(via).slot(n, 8).pressAttentionButton();
      Result history = ok(run(at(via, "events", n, "--from", "1", "--count", "2")));
      List<String> lines = history.out().lines().toList();
      assertEquals(2, lines.size(), history.out());
      assertTrue(lines.get(1).matches("2 \\S+Z " + n + " ATTENTION_BUTTON \\S+ slot 8"),
          lines.get(1));
      assertTrue(lines.get(0).matches("1 \\S+Z " + n + " HIERARCHY_CREATED -"), lines.get(0));

      // Live: the command waits for events while the test causes them.
      // Counted by streams opened, not open: the history command's stream may still be closing
      // on the server, and "one opened while one closed" must not read as "none opened".
      long opened = server.eventStreamsOpened();
      CompletableFuture<Result> follow = CompletableFuture.supplyAsync(() -> run(at(via,
          "events", n, "--slot", "8", "--type", "attention_button,mrl_changed", "--count",
          "2")));
      // A bounded wait, generous for a loaded CI machine (seen to exceed 10 s at load 14).
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (server.eventStreamsOpened() == opened && !follow.isDone()
          && System.nanoTime() < until) {
        Thread.sleep(10);
      }
      assertFalse(follow.isDone(), () -> "the command ended early: " + follow.join());
      assertTrue(server.eventStreamsOpened() > opened, "the command subscribed");
      client(via).slot(n, 7).pressAttentionButton();
      client(via).slot(n, 8).pressAttentionButton();
      client(via).slot(n, 8).openMrl();
      Result live = follow.get(60, TimeUnit.SECONDS);
      ok(live);
      List<String> got = live.out().lines().toList();
      assertEquals(2, got.size(), live.out());
      assertTrue(got.get(0).contains(" ATTENTION_BUTTON " + String.format("%04x:00:06.0", seg)
          + " slot 8"), got.get(0));
      assertTrue(got.get(1).endsWith(" MRL_CHANGED " + String.format("%04x:00:06.0", seg)
          + " slot 8 mrl=open"), got.get(1));

      // Beyond the history: a gap line first.
      EventLog log = server.farm().events().log(n).orElseThrow();
      for (int i = 0; i < log.historyCapacity(); i++) {
        log.publish(io.pciefarm.events.EventType.INTERRUPT, null, 0, Map.of());
      }
      List<String> gap = ok(run(at(via, "events", n, "--from", "1", "--count", "1"))).out()
          .lines().toList();
      assertEquals(2, gap.size());
      assertTrue(gap.get(0).startsWith("gap: "), gap.get(0));
      assertTrue(gap.get(0).contains("history"), gap.get(0));

      assertTrue(error(run(at(via, "events", "--from", "3")), 2).contains("needs a HIERARCHY"));
      assertTrue(error(run(at(via, "events", "no-such-hierarchy", "--count", "1")), 1)
          .contains("no hierarchy named"));
      error(run(at(via, "events", "--type", "warp")), 2);
      error(run(at(via, "events", "--function", "zz")), 2);
      assertTrue(error(run(at(via, "events", n, "--from", "999999")), 1)
          .startsWith("pciefarm events: "));
    } finally {
      server.farm().delete(n);
    }
  }

  @Test
  void everyNewCommandExplainsItself() {
    for (String command : List.of("reset", "reset-method", "hotplug", "events")) {
      Result help = ok(run(command, "--help"));
      assertTrue(help.out().startsWith("Usage: pciefarm " + command), help.out());
    }
    String all = ok(run("--help")).out();
    for (String command : List.of("reset ", "reset-method", "hotplug", "events")) {
      assertTrue(all.contains("  " + command), all);
    }
    assertFalse(ok(run("hotplug", "--help")).out().isEmpty());
  }
}
