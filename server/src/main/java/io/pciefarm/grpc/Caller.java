package io.pciefarm.grpc;

import io.grpc.Context;
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
  }

  /** The caller of the current call ({@link #LOCAL} when no interceptor set one). */
  public static Caller current() {
    Caller c = KEY.get();
    return c == null ? LOCAL : c;
  }

  /**
   * The engine owner this caller acts as. With a lease id: that lease's owner, provided the
   * lease is active and this tenant's. Without: the host for an administrator, otherwise an
   * owner that owns nothing, so the engine refuses, naming what the caller would need.
   *
   * @throws LeaseException NOT_FOUND for an unknown or expired lease, NOT_HOLDER for another
   *     tenant's
   */
  public Owner owner(String leaseId, Leases leases) {
    if (leaseId == null || leaseId.isEmpty()) {
      return admin ? Owner.HOST : new Owner("tenant:" + tenant, tenant);
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
   * slot)? The lease's tenant may; the host's functions only an administrator may.
   */
  public boolean mayModify(Owner owner) {
    return owner.isHost() ? admin : owner.tenant().equals(tenant);
  }
}
