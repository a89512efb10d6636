package io.pciefarm.client.junit;

import io.pciefarm.farm.TopologyFiles;
import io.pciefarm.proto.v1.HierarchySpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/** Turns {@link PcieFarmFixture#topology()} into a spec. */
final class Topologies {
  private Topologies() {}

  static HierarchySpec load(String topology, ClassLoader loader) {
    String t = topology.strip();
    if (t.startsWith("{")) {
      return TopologyFiles.parse(t, "inline topology");
    }
    String resource = t.startsWith("classpath:") ? t.substring("classpath:".length()) : t;
    if (!t.startsWith("classpath:")) {
      try {
        Path file = Path.of(t);
        if (Files.isRegularFile(file)) {
          return TopologyFiles.read(file);
        }
      } catch (InvalidPathException notAPath) {
        // try the other forms
      }
    }
    String name = resource.startsWith("/") ? resource.substring(1) : resource;
    try (InputStream in = loader.getResourceAsStream(name)) {
      if (in != null) {
        return TopologyFiles.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8),
            "classpath:" + name);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read classpath:" + name, e);
    }
    String example = t.endsWith(".json") ? t : t + ".json";
    if (TopologyFiles.EXAMPLES.contains(example)) {
      return TopologyFiles.example(example);
    }
    throw new IllegalArgumentException("@PcieFarmFixture(topology = \"" + topology + "\"): not"
        + " inline JSON, a file, a classpath resource or an embedded example ("
        + String.join(", ", TopologyFiles.EXAMPLES) + ")");
  }
}
