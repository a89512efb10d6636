package io.pciefarm.reset;

import static io.pciefarm.reset.ResetFixture.fn;
import static io.pciefarm.reset.ResetFixture.request;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.caps.AdvancedFeaturesCapability;
import io.pciefarm.caps.PciExpressCapability;
import io.pciefarm.caps.PowerManagementCapability;
import io.pciefarm.caps.SlotCapabilities;
import io.pciefarm.device.Catalog;
import io.pciefarm.device.DeviceModel;
import io.pciefarm.device.FunctionModel;
import io.pciefarm.device.Quirk;
import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.ownership.Owner;
import io.pciefarm.reset.ResetException.Kind;
import io.pciefarm.spec.Header;
import io.pciefarm.spec.PortType;
import io.pciefarm.time.ManualClock;
import io.pciefarm.time.TimeBase;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.HierarchyBuilder;
import io.pciefarm.topology.PciAddress;
import io.pciefarm.topology.PciFunction;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * What the planner says a function-level reset of a slot port reaches. No catalog port can be
 * reset by function (ports have No_Soft_Reset set and no FLR), so these root ports exist only
 * here: a function-level reset returns their Slot Control to its default, which on a slot with
 * a power controller powers the slot off and cold-resets the card in it.
 */
class ResetPlannerTest {
  private static final Map<String, DeviceModel> MODELS = Map.of(
      "test-root-port-af-flr", port("test-root-port-af-flr", SlotCapabilities.pciehp(), true,
          false, false),
      "test-root-port-pm-reset", port("test-root-port-pm-reset", SlotCapabilities.pciehp(),
          false, true, false),
      "test-root-port-pm-no-effect", port("test-root-port-pm-no-effect",
          SlotCapabilities.pciehp(), false, true, true),
      "test-root-port-af-flr-no-power-controller", port(
          "test-root-port-af-flr-no-power-controller", SlotCapabilities.surpriseOnly(), true,
          false, false));

  /** A root port with a slot; AF FLR and/or a PM reset (No_Soft_Reset clear) as asked. */
  private static DeviceModel port(String name, SlotCapabilities slot, boolean afFlr,
      boolean pmReset, boolean pmNoEffect) {
    FunctionModel.Spec f = FunctionModel.bridge("Test root port " + name)
        .ids(0x1b36, 0x000c).classCode(0x060400)
        .express(PortType.ROOT_PORT)
        .capability(PciExpressCapability.builder(PortType.ROOT_PORT).link(3, 4)
            .dllActiveReporting(true).slot(slot).build())
        .capability(PowerManagementCapability.builder().version(3).d1(false).d2(false)
            .pmeSupport(0).noSoftReset(!pmReset).build());
    if (afFlr) {
      f.capability(AdvancedFeaturesCapability.of(true, true));
    }
    if (pmNoEffect) {
      f.quirk(Quirk.PM_RESET_NO_EFFECT);
    }
    return DeviceModel.named(name).summary("test only: " + name).function(0, f).build();
  }

  private final ManualClock clock = new ManualClock();
  private final Owner alice = Owner.lease("lease-1", "alice");
  private final Owner bob = Owner.lease("lease-2", "bob");

  /** Root port 00:01.0 of {@code model}, slot 4, holding an NVMe SSD at 01:00.0. */
  private Hierarchy slotWithCard(String model) {
    return HierarchyBuilder.build(TopologyFiles.parse("""
        {"name":"p","devices":[{"device":1,"model":"%s","slot":4,
          "children":[{"device":0,"model":"nvme-ssd"}]}]}""".formatted(model), "p"),
        new TimeBase(clock, 1.0),
        name -> Optional.ofNullable(MODELS.get(name)).or(() -> Catalog.find(name)));
  }

  private static List<String> affected(ResetPlan plan) {
    return plan.affected().stream().map(AffectedFunction::address).toList();
  }

  @Test
  void flrOfASlotPortWhoseResetPowersTheSlotOffReachesTheCard() {
    Hierarchy h = slotWithCard("test-root-port-af-flr");
    ResetPlan plan = h.resets().probe(request(fn("0000:00:01.0"), "FUNC"));
    assertEquals(ResetMethod.AF_FLR, plan.method());
    assertEquals(List.of("0000:00:01.0", "0000:01:00.0"), affected(plan));
    assertEquals(0, clock.pending(), "a probe changes nothing");
  }

  @Test
  void pmResetOfASlotPortReachesTheCardUnlessItDoesNothing() {
    assertEquals(List.of("0000:00:01.0", "0000:01:00.0"), affected(slotWithCard(
        "test-root-port-pm-reset").resets().probe(request(fn("0000:00:01.0"), "pm"))));
    assertEquals(List.of("0000:00:01.0"), affected(slotWithCard("test-root-port-pm-no-effect")
        .resets().probe(request(fn("0000:00:01.0"), "pm"))),
        "a PM reset with no effect leaves Slot Control, and the slot's power, alone");
  }

  @Test
  void aSlotWithoutAPowerControllerKeepsPowerSoTheCardIsNotReached() {
    Hierarchy h = slotWithCard("test-root-port-af-flr-no-power-controller");
    assertEquals(List.of("0000:00:01.0"),
        affected(h.resets().probe(request(fn("0000:00:01.0"), "FUNC"))));
  }

  @Test
  void portResetByACallerWhoDoesNotOwnTheCardIsRefusedAndTouchesNothing() {
    Hierarchy h = slotWithCard("test-root-port-af-flr");
    PciFunction port = h.lookup(PciAddress.parse("0000:00:01.0"));
    PciFunction card = h.lookup(PciAddress.parse("0000:01:00.0"));
    port.owner(bob);
    card.owner(alice);
    card.config().write(Header.COMMAND, 2, Header.COMMAND_MEMORY);
    ResetRequest r = new ResetRequest(fn("0000:00:01.0"), MethodSet.FUNC,
        ResetRequest.Mode.WAIT, null, false, bob);
    ResetException e = assertThrows(ResetException.class, () -> h.resets().reset(r));
    assertEquals(Kind.NOT_OWNER, e.kind());
    assertEquals(List.of("0000:01:00.0 (lease lease-1 (alice))"), e.blocking());
    assertEquals(Header.COMMAND_MEMORY, card.config().read(Header.COMMAND, 2),
        "alice's card keeps its state");
    assertTrue(port.linkUp(), "and its power");
  }

  @Test
  void anOwnerOfBothGetsTheResetAndItColdResetsTheCard() throws Exception {
    Hierarchy h = slotWithCard("test-root-port-af-flr");
    PciFunction port = h.lookup(PciAddress.parse("0000:00:01.0"));
    PciFunction card = h.lookup(PciAddress.parse("0000:01:00.0"));
    port.owner(alice);
    card.owner(alice);
    card.config().write(Header.COMMAND, 2, Header.COMMAND_MEMORY);
    CompletableFuture<ResetResult> f = h.resets().reset(new ResetRequest(fn("0000:00:01.0"),
        MethodSet.FUNC, ResetRequest.Mode.WAIT, null, false, alice));
    clock.runAll();
    assertEquals(List.of("0000:00:01.0", "0000:01:00.0"), affected(f.get().plan()));
    assertFalse(port.linkUp(), "the port came out of reset with its slot powered off");
    assertEquals(0, card.config().read(Header.COMMAND, 2), "the card lost its state");
    assertFalse(card.settled(), "unpowered, it never answers");
    assertEquals(List.of(card.describe()), f.get().notReady(),
        "the card stays off until software powers the slot");
  }
}
