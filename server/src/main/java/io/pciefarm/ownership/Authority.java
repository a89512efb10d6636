package io.pciefarm.ownership;

import java.util.Objects;

/**
 * Whose functions a request may act on. An {@link Owner} covers exactly its own functions (a
 * request made with a lease id, or a lease's own release); a {@link Tenant} covers every lease
 * of one tenant, and the host's pool when it is an administrator (a request made without a
 * lease id, judged as config writes are).
 */
public sealed interface Authority permits Owner, Authority.Tenant {
  /** May a request made with this authority act on a function that {@code owner} holds? */
  boolean covers(Owner owner);

  /**
   * Every lease of {@code tenant}, and the host's pool when {@code host}.
   *
   * @param tenant the tenant's name
   * @param host also covers functions no lease holds (an administrator)
   */
  record Tenant(String tenant, boolean host) implements Authority {
    public Tenant {
      Objects.requireNonNull(tenant, "tenant");
      if (tenant.isEmpty()) {
        // Released leases and the host have no tenant: an empty name must not cover them.
        throw new IllegalArgumentException("an authority needs a tenant name");
      }
    }

    @Override
    public boolean covers(Owner owner) {
      // Mirrors the config write check: no allocation, one comparison.
      return owner.isHost() ? host : owner.tenant().equals(tenant);
    }

    @Override
    public String toString() {
      return "tenant '" + tenant + "'" + (host ? " (administrator)" : "");
    }
  }
}
