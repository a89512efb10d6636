package io.pciefarm.ownership;

import java.util.Objects;

/**
 * Who a function belongs to: the host (the farm's pool, as a device bound to a host driver) or
 * one client lease, as a device bound to vfio-pci belongs to one user; or, between a lease's
 * end and the end of its clean-up reset, to nobody ({@link #released}).
 *
 * @param id "host", or the lease's identifier
 * @param tenant the tenant holding the lease; empty for the host and a released lease
 */
public record Owner(String id, String tenant) implements Authority {
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
    if (tenant.isEmpty()) {
      throw new IllegalArgumentException("a lease needs a tenant");
    }
    return new Owner(leaseId, tenant);
  }

  /**
   * The owner of a lease's functions from the moment the lease ends until its reset is done
   * and they are back with the host: the farm itself. It has no tenant, so no caller may
   * write to, reset or act on them meanwhile; only the lease's clean-up reset (made as this
   * owner) reaches them.
   */
  public static Owner released(String leaseId) {
    if (leaseId.equals(HOST.id)) {
      throw new IllegalArgumentException("'host' is not a lease id");
    }
    return new Owner(leaseId, "");
  }

  public boolean isHost() {
    return this.equals(HOST);
  }

  /** True for {@link #released} owners: a lease that ended, its functions being reset. */
  public boolean isReleased() {
    return tenant.isEmpty() && !isHost();
  }

  /** An owner covers its own functions only. */
  @Override
  public boolean covers(Owner owner) {
    return equals(owner);
  }

  @Override
  public String toString() {
    return isHost() ? "host" : "lease " + id + (isReleased() ? " (released, being reset)"
        : " (" + tenant + ")");
  }
}
