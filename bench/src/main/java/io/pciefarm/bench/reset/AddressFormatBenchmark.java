package io.pciefarm.bench.reset;

import io.pciefarm.topology.PciAddress;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the reset plan pays per affected function to name it: {@link PciAddress#toString()}
 * ({@code String.format("%04x:%02x:%02x.%d", ...)}, what {@code PciFunction.describe()} returns
 * for a reachable function) against {@link #format}, the same text written digit by digit, in
 * the same run. The addresses cycle through 256 different ones so nothing is constant.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class AddressFormatBenchmark {
  private final PciAddress[] addresses = new PciAddress[256];
  private int next;

  @Setup
  public void setUp() {
    for (int i = 0; i < addresses.length; i++) {
      addresses[i] = new PciAddress(i * 7 & 0xFFFF, i, i & 31, i & 7);
      if (!format(addresses[i]).equals(addresses[i].toString())) {
        throw new IllegalStateException(format(addresses[i]) + " != " + addresses[i]);
      }
    }
  }

  @Benchmark
  public String stringFormat() {
    return addresses[next++ & 255].toString();
  }

  @Benchmark
  public String handWritten() {
    return format(addresses[next++ & 255]);
  }

  private static final byte[] HEX = "0123456789abcdef".getBytes(
      java.nio.charset.StandardCharsets.ISO_8859_1);

  /** {@code DDDD:BB:DD.F} without a Formatter. */
  static String format(PciAddress a) {
    byte[] b = new byte[12];
    hex(b, 0, a.segment(), 4);
    b[4] = ':';
    hex(b, 5, a.bus(), 2);
    b[7] = ':';
    hex(b, 8, a.device(), 2);
    b[10] = '.';
    b[11] = (byte) ('0' + a.function());
    return new String(b, java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  private static void hex(byte[] b, int at, int value, int digits) {
    for (int i = digits - 1; i >= 0; i--) {
      b[at + i] = HEX[value & 15];
      value >>>= 4;
    }
  }
}
