package io.pciefarm.bench.topology;

import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.proto.v1.HierarchySpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The 64-function hierarchy the scale benchmarks create: {@code server-64.json} next to this
 * class, in the topology-file format (protobuf JSON {@link HierarchySpec}), built only from
 * catalog models. A storage and GPU server: a crypto RCiEP, a switch with eight NVMe bays, two
 * GPUs (graphics + audio), two dual-port SR-IOV NICs, a PCIe-to-PCI bridge with two
 * conventional cards, USB and SATA controllers, a second switch with NVMe drives, NICs and an
 * empty slot, hot-plug root-port slots (three with drives, one with Wi-Fi, two empty).
 */
public final class ServerTopology {
  /** Functions in {@link #template()}; the scale benchmark checks every built copy has them. */
  public static final int FUNCTIONS = 64;
  static final String RESOURCE = "server-64.json";

  private ServerTopology() {}

  /** The description as the file has it (name "server-64", segment 0). */
  public static HierarchySpec template() {
    try (InputStream in = ServerTopology.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + RESOURCE);
      }
      return TopologyFiles.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8),
          RESOURCE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Copy {@code index} of the template: name {@code server-<index>}, segment {@code index},
   * firmware-enumerated unless {@code unprogrammed}.
   */
  public static HierarchySpec copy(HierarchySpec template, int index, boolean unprogrammed) {
    return template.toBuilder().setName("server-" + index).setSegment(index)
        .setUnprogrammed(unprogrammed).build();
  }
}
