package io.pciefarm.grpc;

import io.grpc.Context;
import io.pciefarm.ownership.Authority;
import io.pciefarm.ownership.Lease;
import io.pciefarm.ownership.LeaseException;
import io.pciefarm.ownership.Leases;
import io.pciefarm.ownership.Owner;
import java.util.Objects;

/**
 * Who is calling: a tenant, and whether it may act as the host (touch functions no lease
 * holds). The authentication interceptor puts it in the gRPC {@link Context}; without one the
 * farm is single-tenant and every caller is {@link #LOCAL}, an administrator.
 *
 * @param tenant the tenant's name, from the server's token table
 * @param admin may act on host-owned functions (the farm's own pool)
 */
public record Caller(String tenant, boolean admin) {
  /** The one caller of a single-tenant farm (no tokens configured). */
  public static final Caller LOCAL = new Caller("local", true);

  /** Where the interceptor leaves the caller for the call's handlers. */
  public static final Context.Key<Caller> KEY = Context.key("pciefarm-caller");

  public Caller {
    Objects.requireNonNull(tenant);
    if (tenant.isEmpty()) {
      // An empty tenant is what a released lease's functions carry: nobody's.
      throw new IllegalArgumentException("a caller needs a tenant");
    }
  }

  /** The caller of the current call ({@link #LOCAL} when no interceptor set one). */
  public static Caller current() {
    Caller c = KEY.get();
    return c == null ? LOCAL : c;
  }

  /**
   * Whose functions this caller's request may reach. With a lease id: that lease's functions
   * only, provided the lease is active and this tenant's. Without: what a config write may
   * reach ({@link #mayModify}): every lease of this tenant, and the host's pool for an
   * administrator. Functions another tenant's lease holds, or a released lease's being reset,
   * are covered either way never.
   *
   * @throws LeaseException NOT_FOUND for an unknown or expired lease, NOT_HOLDER for another
   *     tenant's
   */
  public Authority authority(String leaseId, Leases leases) {
    if (leaseId == null || leaseId.isEmpty()) {
      return new Authority.Tenant(tenant, admin);
    }
    Lease lease = leases.get(leaseId);
    if (lease == null) {
      throw new LeaseException(LeaseException.Kind.NOT_FOUND, "no active lease " + leaseId
          + " (released, expired, or never granted)");
    }
    if (!lease.tenant().equals(tenant)) {
      throw new LeaseException(LeaseException.Kind.NOT_HOLDER, "lease " + leaseId
          + " belongs to another tenant");
    }
    return lease.owner();
  }

  /**
   * May this caller change {@code owner}'s functions (write their registers, act on their
   * slot)? The lease's tenant may; the host's functions only an administrator may; a released
   * lease's (tenant empty, being reset) nobody may.
   */
  public boolean mayModify(Owner owner) {
    return owner.isHost() ? admin : owner.tenant().equals(tenant);
  }
}
