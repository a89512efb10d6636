package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.ownership.Lease;
import io.pciefarm.ownership.Leases;
import io.pciefarm.proto.v1.FunctionInfo;
import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciAddress;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A lease taken in the engine shows in GetTopology as the functions' lease_id. */
class LeaseVisibilityTest extends LiveServer {
  @Test
  void leasedFunctionsCarryTheLeaseId() throws Exception {
    Hierarchy h = server.farm().get("storage-switch");
    Lease lease = server.farm().leases().acquire(new Leases.Request(h, List.of(),
        List.of(PciAddress.parse("0001:03:00.0")), Duration.ofMinutes(5), "tenant-a", "test",
        false, null)).get();
    try {
      FunctionInfo nvme = tcp.topology("storage-switch").getFunctionsList().stream()
          .filter(f -> f.getAddress().equals("0001:03:00.0")).findFirst().orElseThrow();
      assertEquals(lease.id(), nvme.getLeaseId());
      assertTrue(tcp.topology("storage-switch").getFunctionsList().stream()
          .filter(f -> !f.getAddress().equals("0001:03:00.0"))
          .allMatch(f -> f.getLeaseId().isEmpty()));
    } finally {
      server.farm().leases().release(lease.id(), "tenant-a").get();
    }
  }
}
