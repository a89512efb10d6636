package io.pciefarm.ownership;

import java.util.Objects;

/**
 * Who a function belongs to: the host (the farm's pool, as a device bound to a host driver) or
 * one client lease, as a device bound to vfio-pci belongs to one user.
 *
 * @param id "host", or the lease's identifier
 * @param tenant the tenant holding the lease; empty for the host
 */
public record Owner(String id, String tenant) {
  public static final Owner HOST = new Owner("host", "");

  public Owner {
    Objects.requireNonNull(id);
    Objects.requireNonNull(tenant);
  }

  /** The owner for a lease held by {@code tenant}. */
  public static Owner lease(String leaseId, String tenant) {
    if (leaseId.equals(HOST.id)) {
      throw new IllegalArgumentException("'host' is not a lease id");
    }
    return new Owner(leaseId, tenant);
  }

  public boolean isHost() {
    return this.equals(HOST);
  }

  @Override
  public String toString() {
    return isHost() ? "host" : "lease " + id + (tenant.isEmpty() ? "" : " (" + tenant + ")");
  }
}
