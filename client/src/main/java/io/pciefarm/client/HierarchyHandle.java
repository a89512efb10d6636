package io.pciefarm.client;

import io.pciefarm.proto.v1.HierarchyInfo;
import io.pciefarm.proto.v1.TopologySnapshot;

/**
 * A hierarchy on the server, by name. Its segment is fetched once, on first need; functions are
 * named relative to it ({@code BB:DD.F}) or in full.
 */
public final class HierarchyHandle {
  private final PcieFarmClient client;
  private final String name;
  private volatile HierarchyInfo info;

  HierarchyHandle(PcieFarmClient client, String name) {
    this(client, name, null);
  }

  HierarchyHandle(PcieFarmClient client, String name, HierarchyInfo info) {
    this.client = client;
    this.name = name;
    this.info = info;
  }

  public String name() {
    return name;
  }

  /** The hierarchy as the server describes it now (with the spec it was created from). */
  public HierarchyInfo info() {
    HierarchyInfo i = client.hierarchyInfo(name);
    info = i;
    return i;
  }

  /** The PCI segment: the DDDD of its functions' addresses. */
  public int segment() {
    HierarchyInfo i = info;
    return (i != null ? i : info()).getSegment();
  }

  /** The live topology: functions, groups, the tree. */
  public TopologySnapshot topology() {
    return client.topology(name);
  }

  /**
   * A function of this hierarchy: {@code BB:DD.F}, or {@code DDDD:BB:DD.F} with this
   * hierarchy's segment.
   *
   * @throws IllegalArgumentException for a malformed address or another segment
   */
  public FunctionHandle function(String address) {
    Address a = Address.parse(address);
    boolean hasSegment = address.trim().split(":").length == 3;
    if (hasSegment && a.segment() != segment()) {
      throw new IllegalArgumentException(String.format(
          "%s is on segment %04x, but hierarchy '%s' is segment %04x", address, a.segment(),
          name, segment()));
    }
    return new FunctionHandle(client, a.withSegment(segment()));
  }

  /** Deletes the hierarchy. Not retried. */
  public HierarchyInfo delete() {
    return client.deleteHierarchy(name);
  }

  @Override
  public String toString() {
    return "hierarchy " + name;
  }
}
