package io.pciefarm.testing;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * pciutils' {@code lspci} as an independent oracle: it decodes a config-space dump (the format
 * {@code io.pciefarm.export.LspciDump} writes) with {@code lspci -F FILE} exactly as it would
 * decode real hardware.
 *
 * <p>Tests call {@link #assumeInstalled()} first, so they are skipped, not failed, on a machine
 * without pciutils, unless {@code PCIEFARM_REQUIRE_LSPCI=1} says the oracle must run (CI). The class depends on nothing but the JDK and JUnit's API; other modules use
 * it through the server module's test-jar:
 *
 * <pre>{@code
 * <dependency>
 *   <groupId>io.pciefarm</groupId>
 *   <artifactId>pciefarm-server</artifactId>
 *   <type>test-jar</type>
 *   <scope>test</scope>
 * </dependency>
 * }</pre>
 */
public final class Lspci {
  /** How long one lspci run may take before it is killed and the test fails. */
  public static final long TIMEOUT_SECONDS = 30;

  /** Where lspci lives when it is not on the PATH (Debian puts it in /usr/bin, older in /sbin). */
  private static final List<Path> FALLBACKS =
      List.of(Path.of("/usr/bin"), Path.of("/usr/sbin"), Path.of("/sbin"));

  /**
   * Text lspci prints where it could not decode something: a broken or looped capability list,
   * a structure it does not understand ({@code <?>}), bytes it could not read because the dump is
   * too short ({@code <access denied>}, {@code <unreadable>}), a field it found invalid
   * ({@code <error}), and {@code <BAD}, which pciutils 3.9 does not print but later ones may.
   */
  private static final List<String> MARKERS = List.of("<chain broken>", "<chain looped>", "<?>",
      "<BAD", "<access denied", "<unreadable>", "<error");

  /** The environment variable that turns a missing lspci from a skip into a failure. */
  public static final String REQUIRE = "PCIEFARM_REQUIRE_LSPCI";

  private static volatile Optional<Path> found;

  private Lspci() {}

  /** The lspci executable: the first on the PATH, else in /usr/bin, /usr/sbin or /sbin. */
  public static Optional<Path> executable() {
    Optional<Path> f = found;
    if (f == null) {
      f = search();
      found = f;
    }
    return f;
  }

  /** True when lspci can be run. */
  public static boolean installed() {
    return executable().isPresent();
  }

  /**
   * Skips the calling test (a JUnit assumption) when lspci is not installed, or fails it when
   * the environment requires the oracle ({@value #REQUIRE}{@code =1}, as {@code .ci/run} sets):
   * there a missing lspci must not let the build pass without the oracle having run.
   */
  public static void assumeInstalled() {
    assumeInstalled(installed(), System.getenv(REQUIRE));
  }

  /** {@link #assumeInstalled()} with the facts given, so both outcomes can be tested. */
  static void assumeInstalled(boolean installed, String require) {
    if (installed) {
      return;
    }
    if ("1".equals(require)) {
      throw new AssertionError("lspci (Debian package pciutils) is not installed, but " + REQUIRE
          + "=1 requires the lspci oracle: install pciutils, or unset " + REQUIRE
          + " to skip these tests");
    }
    Assumptions.assumeTrue(false,
        "lspci (Debian package pciutils) is not installed; skipping the lspci oracle (set "
            + REQUIRE + "=1 to fail instead)");
  }

  /**
   * Writes {@code dumpText} to a temporary file, runs {@code lspci -F FILE args...} and returns
   * what it printed on stdout. The text is written byte for byte as given (UTF-8), so a malformed
   * dump reaches lspci as it is.
   *
   * @param args further lspci options, e.g. {@code "-vvv", "-nn"} or {@code "-t"}
   * @throws AssertionError if lspci is missing, exits non-zero (with its stderr and exit code), or
   *     runs longer than {@value #TIMEOUT_SECONDS} seconds
   */
  public static String decode(String dumpText, String... args) {
    Path lspci = executable().orElseThrow(() -> new AssertionError(
        "lspci (Debian package pciutils) is not installed; call Lspci.assumeInstalled() first"));
    Path dir = null;
    try {
      dir = Files.createTempDirectory("lspci-oracle");
      Path dump = dir.resolve("dump.txt");
      Path out = dir.resolve("stdout");
      Path err = dir.resolve("stderr");
      Files.writeString(dump, dumpText, StandardCharsets.UTF_8);
      List<String> command = new ArrayList<>();
      command.add(lspci.toString());
      command.add("-F");
      command.add(dump.toString());
      command.addAll(List.of(args));
      ProcessBuilder pb = new ProcessBuilder(command)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectOutput(out.toFile())
          .redirectError(err.toFile());
      pb.environment().put("LC_ALL", "C");
      Process p = pb.start();
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        throw new AssertionError(String.join(" ", command) + " did not finish within "
            + TIMEOUT_SECONDS + " s");
      }
      String stdout = Files.readString(out, StandardCharsets.UTF_8);
      if (p.exitValue() != 0) {
        throw new AssertionError(String.join(" ", command) + " exited with " + p.exitValue()
            + "\nstderr: " + Files.readString(err, StandardCharsets.UTF_8).strip()
            + "\nstdout: " + stdout.strip()
            + "\ndump:\n" + excerpt(dumpText));
      }
      return stdout;
    } catch (IOException e) {
      throw new UncheckedIOException("running lspci -F", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while running lspci", e);
    } finally {
      deleteQuietly(dir);
    }
  }

  /**
   * Every line of {@code lspci -vvv} output that reports something lspci could not decode: see
   * {@link #MARKERS} ({@code <chain broken>}, {@code <chain looped>}, {@code <?>}, {@code <BAD},
   * {@code <access denied}, {@code <unreadable>}, {@code <error}). Each is returned stripped of
   * surrounding white space; an empty list means lspci decoded everything it looked at.
   */
  public static List<String> problems(String vvvOutput) {
    List<String> found = new ArrayList<>();
    for (String line : vvvOutput.split("\n")) {
      for (String marker : MARKERS) {
        if (line.contains(marker)) {
          found.add(line.strip());
          break;
        }
      }
    }
    return found;
  }

  private static Optional<Path> search() {
    List<Path> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      for (String d : path.split(File.pathSeparator)) {
        if (!d.isEmpty()) {
          dirs.add(Path.of(d));
        }
      }
    }
    dirs.addAll(FALLBACKS);
    for (Path d : dirs) {
      Path candidate = d.resolve("lspci");
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  private static String excerpt(String dump) {
    String[] lines = dump.split("\n", -1);
    if (lines.length <= 40) {
      return dump;
    }
    return String.join("\n", List.of(lines).subList(0, 40)) + "\n... (" + (lines.length - 40)
        + " more lines)";
  }

  private static void deleteQuietly(Path dir) {
    if (dir == null) {
      return;
    }
    try (var files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(dir);
    } catch (IOException ignored) {
      // a leftover file in the temp directory is not worth failing a test over
    }
  }
}
