package io.pciefarm.farm;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.pciefarm.farm.FarmException.Kind;
import io.pciefarm.proto.v1.HierarchySpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Hierarchy descriptions as files: {@link HierarchySpec} in protobuf JSON, so files and the
 * CreateHierarchy RPC share one schema. Unknown fields are errors, not silently ignored.
 */
public final class TopologyFiles {
  /** The example topologies shipped in {@code examples/} and embedded in the server jar. */
  public static final List<String> EXAMPLES = List.of(
      "gpu-passthrough.json",
      "storage-switch.json",
      "legacy-bridge.json",
      "hotplug-rack.json",
      "catalog-showcase.json");

  private TopologyFiles() {}

  /**
   * Parses protobuf JSON.
   *
   * @param source named in the error, e.g. a file name
   * @throws FarmException INVALID with the parser's message
   */
  public static HierarchySpec parse(String json, String source) {
    HierarchySpec.Builder b = HierarchySpec.newBuilder();
    try {
      JsonFormat.parser().merge(json, b);
    } catch (InvalidProtocolBufferException e) {
      throw new FarmException(Kind.INVALID, source + ": " + e.getMessage(), e);
    }
    return b.build();
  }

  public static HierarchySpec read(Path file) {
    try {
      return parse(Files.readString(file), file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** Reads one of {@link #EXAMPLES} from the classpath. */
  public static HierarchySpec example(String name) {
    try (InputStream in = TopologyFiles.class.getResourceAsStream("/examples/" + name)) {
      if (in == null) {
        throw new FarmException(Kind.NOT_FOUND, "no embedded example topology '" + name
            + "'; known: " + String.join(", ", EXAMPLES));
      }
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "examples/" + name);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Protobuf JSON for {@code spec}, as files are written. */
  public static String toJson(HierarchySpec spec) {
    try {
      return JsonFormat.printer().print(spec);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A farm holding every embedded example: the default farm {@code pciefarm serve} hosts. */
  public static Farm defaultFarm() {
    Farm farm = new Farm();
    for (String name : EXAMPLES) {
      farm.create(example(name));
    }
    return farm;
  }
}
