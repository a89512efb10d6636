package io.pciefarm.client.junit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.pciefarm.client.FunctionHandle;
import io.pciefarm.client.HierarchyHandle;
import io.pciefarm.client.LeaseHandle;
import io.pciefarm.client.PcieFarmClient;
import io.pciefarm.client.PcieFarmException;
import io.pciefarm.device.Quirk;
import io.pciefarm.ownership.Owner;
import io.pciefarm.proto.v1.AffectedFunction;
import io.pciefarm.proto.v1.ResetResponse;
import io.pciefarm.spec.Header;
import io.pciefarm.topology.PciFunction;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The fixture extension as a test uses it: a leased GPU box per test, written to, and, once the
 * extension has cleaned up after every test ({@code @AfterAll} runs after that), the lease gone,
 * the hierarchy deleted, and (on the in-process farm, whose engine can be inspected) every
 * leased function back with the host, reset (where its reset method does reset it).
 */
@PcieFarmFixture(topology = "examples/gpu-passthrough.json", functions = "01:00.0")
class PcieFarmFixtureTest {
  private static final List<String> hierarchies = new CopyOnWriteArrayList<>();
  private static final List<String> leases = new CopyOnWriteArrayList<>();
  /** The engine's functions the tests leased, kept past the hierarchy's deletion. */
  private static final List<PciFunction> leased = new CopyOnWriteArrayList<>();

  private static void remember(HierarchyHandle h, LeaseHandle lease, FixtureFarm farm) {
    hierarchies.add(h.name());
    leases.add(lease.id());
    farm.server().ifPresent(s -> s.farm().get(h.name()).functions().stream()
        .filter(f -> f.owner().equals(Owner.lease(lease.id(), lease.info().getTenant())))
        .forEach(leased::add));
  }

  @Test
  void writesRegistersOfTheLeasedGpu(HierarchyHandle machine, LeaseHandle lease,
      FixtureFarm farm) {
    assertTrue(machine.name().startsWith("gpu-passthrough-"), machine.name());
    FunctionHandle gpu = machine.function("01:00.0");
    FunctionHandle audio = machine.function("01:00.1");
    // The GPU's group: the GPU and its HD audio function.
    assertEquals(List.of(gpu.address().toString(), audio.address().toString()),
        lease.functions());
    assertTrue(lease.active());

    gpu.writeWord(Header.COMMAND, Header.COMMAND_MEMORY | Header.COMMAND_MASTER);
    audio.writeWord(Header.COMMAND, Header.COMMAND_MEMORY);
    gpu.writeDword(0x10, 0xffffffff); // BAR sizing
    assertEquals(Header.COMMAND_MEMORY | Header.COMMAND_MASTER, gpu.readWord(Header.COMMAND));
    assertNotEquals(0, gpu.readDword(0x10));
    assertTrue(machine.leases().stream().anyMatch(l -> l.getId().equals(lease.id())));
    remember(machine, lease, farm);
  }

  @Test
  @PcieFarmFixture(topology = """
      {"name": "tiny", "devices": [
        {"device": 1, "model": "root-port-acs", "children": [{"device": 0, "model": "nvme-ssd"}]},
        {"device": 2, "model": "root-port-acs", "children": [{"device": 0, "model": "nvme-ssd"}]}
      ]}""", groups = {3})
  void aMethodsOwnFixtureOverridesTheClasses(HierarchyHandle machine, LeaseHandle lease,
      PcieFarmClient client, FixtureFarm farm) {
    assertTrue(machine.name().startsWith("tiny-"), machine.name());
    // Groups: the root ports (0, 1) on the root bus, then each drive (2, 3).
    assertEquals(List.of(3), lease.groups());
    FunctionHandle mine = machine.function("02:00.0");
    assertEquals(List.of(mine.address().toString()), lease.functions());
    mine.writeWord(Header.COMMAND, Header.COMMAND_MASTER);
    assertTrue(client.hierarchies().stream().anyMatch(h -> h.getName().equals(machine.name())));
    remember(machine, lease, farm);
  }

  @Test
  @PcieFarmFixture(topology = """
      {"name": "drive", "devices": [
        {"device": 1, "model": "root-port-acs", "children": [{"device": 0, "model": "nvme-ssd"}]}
      ]}""", functions = "01:00.0")
  void resetsItsLeasedFunctionThroughTheHandle(HierarchyHandle machine, LeaseHandle lease) {
    FunctionHandle drive = machine.function("01:00.0");
    drive.writeWord(Header.COMMAND, Header.COMMAND_MEMORY | Header.COMMAND_MASTER);
    // No lease id goes with it: the function is the caller's tenant's, as for the write.
    ResetResponse r = drive.reset("flr");
    assertEquals(List.of(lease.id()), r.getAffectedList().stream()
        .map(AffectedFunction::getLeaseId).toList());
    assertEquals(0, drive.readWord(Header.COMMAND), "the FLR cleared it");
  }

  @Test
  void eachTestHasItsOwnHierarchy(HierarchyHandle machine) {
    assertFalse(hierarchies.contains(machine.name()));
    assertTrue(machine.segment() >= 0x100, "a segment of its own");
  }

  @AfterAll
  static void theExtensionCleanedUpAfterEveryTest(PcieFarmClient client, FixtureFarm farm) {
    assertEquals(2, hierarchies.size());
    for (String name : hierarchies) {
      PcieFarmException gone = assertThrows(PcieFarmException.class,
          () -> client.hierarchy(name).info());
      assertEquals(Status.Code.NOT_FOUND, gone.code(), name);
    }
    for (String id : leases) {
      assertTrue(client.leases(null).stream().noneMatch(l -> l.getId().equals(id)), id);
    }
    if (farm.server().isPresent()) {
      assertEquals(3, leased.size(), leased.toString());
      for (PciFunction f : leased) {
        assertEquals(Owner.HOST, f.owner(), f + " returned to the host");
        // The GPU advertises a PM reset that does nothing, and no FLR (as GA106 boards do):
        // Linux's reset, hence the release's, leaves it as the guest left it. The drive's FLR
        // works.
        if (!f.model().has(Quirk.PM_RESET_NO_EFFECT)) {
          assertEquals(0, f.config().read(Header.COMMAND, 2), f + " reset before it returned");
        }
      }
    }
  }
}
