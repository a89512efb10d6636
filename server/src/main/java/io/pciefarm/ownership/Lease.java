package io.pciefarm.ownership;

import io.pciefarm.topology.Hierarchy;
import io.pciefarm.topology.PciFunction;
import java.time.Duration;
import java.util.List;

/**
 * A granted lease: exclusive ownership of whole isolation groups until released or expired.
 *
 * @param id unguessable; whoever presents it (as its tenant) owns the lease
 * @param tenant the identity that holds it
 * @param holder a name for people
 * @param hierarchy where the groups are
 * @param groups the isolation group numbers at the time of acquisition
 * @param functions every function taken (the groups' functions except bridges, which stay with
 *     the host as VFIO leaves ports bound to pcieport)
 * @param ttl how long it lives without renewal
 * @param expiresAtNanos farm-clock time at which it expires
 */
public record Lease(String id, String tenant, String holder, Hierarchy hierarchy,
    List<Integer> groups, List<PciFunction> functions, Duration ttl, long expiresAtNanos) {
  public Lease {
    groups = List.copyOf(groups);
    functions = List.copyOf(functions);
  }

  /** The owner its functions carry. */
  public Owner owner() {
    return Owner.lease(id, tenant);
  }
}
