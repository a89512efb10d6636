package io.pciefarm.client;

import io.pciefarm.proto.v1.Access;
import io.pciefarm.proto.v1.AccessOp;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Config accesses to send in one message of a {@link ConfigStream}; executed in order, each
 * answered separately. Not thread-safe; reusable only after {@link #clear()}.
 */
public final class Batch {
  private final List<Access> accesses = new ArrayList<>();

  /** Adds a read; returns its index in the batch (and in the result). */
  public int read(Address address, int offset, int width) {
    accesses.add(Access.newBuilder().setAddress(address.packed()).setOffset(offset)
        .setWidth(PcieFarmClient.width(width)).build());
    return accesses.size() - 1;
  }

  /** Adds a write; returns its index. */
  public int write(Address address, int offset, int width, int value) {
    accesses.add(Access.newBuilder().setAddress(address.packed()).setOffset(offset)
        .setWidth(PcieFarmClient.width(width)).setOp(AccessOp.ACCESS_OP_WRITE).setValue(value)
        .build());
    return accesses.size() - 1;
  }

  /** Adds an access as given, unchecked (for tests of the server's validation). */
  public int raw(Access access) {
    accesses.add(access);
    return accesses.size() - 1;
  }

  public int size() {
    return accesses.size();
  }

  public boolean isEmpty() {
    return accesses.isEmpty();
  }

  public void clear() {
    accesses.clear();
  }

  List<Access> accesses() {
    return Collections.unmodifiableList(accesses);
  }
}
