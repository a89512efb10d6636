package io.pciefarm.farm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.pciefarm.proto.v1.HierarchySpec;
import io.pciefarm.topology.Hierarchy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@link TopologyFiles#EXAMPLES} is a list written by hand; the examples are the files in the
 * repository's {@code examples/} directory. Every file there must be embedded and hosted by the
 * default farm, exactly as written, and every embedded name must still be a file there.
 */
class ExamplesDirectoryTest {
  /** {@code examples/} of the repository: next to the root pom, above the module's directory. */
  private static Path examplesDirectory() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      Path examples = p.resolve("examples");
      if (Files.isDirectory(examples) && Files.exists(p.resolve("pom.xml"))
          && Files.isDirectory(p.resolve("server"))) {
        return examples;
      }
    }
    throw new AssertionError("no examples/ directory above " + Path.of("").toAbsolutePath());
  }

  private static List<Path> files() throws IOException {
    try (Stream<Path> s = Files.list(examplesDirectory())) {
      return s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
    }
  }

  @Test
  void everyExampleFileIsInTheDefaultFarmAsWritten() throws IOException {
    List<Path> files = files();
    assertFalse(files.isEmpty());
    Farm farm = TopologyFiles.defaultFarm();
    for (Path file : files) {
      String name = file.getFileName().toString();
      assertTrue(TopologyFiles.EXAMPLES.contains(name), name + " is in examples/ but not in"
          + " TopologyFiles.EXAMPLES: the default farm does not host it");
      HierarchySpec written = TopologyFiles.read(file);
      assertEquals(written, TopologyFiles.example(name), name + ": the embedded copy differs");
      Hierarchy h = farm.get(written.getName());
      assertEquals(written.getSegment(), h.segment(), name);
    }
    assertEquals(files.size(), farm.size(), "the default farm hosts the examples, no more");
  }

  @Test
  void everyEmbeddedExampleIsStillAFile() throws IOException {
    List<String> names = files().stream().map(p -> p.getFileName().toString()).toList();
    for (String embedded : TopologyFiles.EXAMPLES) {
      assertTrue(names.contains(embedded), embedded + " is embedded but no longer in examples/");
    }
  }
}
