package io.pciefarm.client.junit;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gives each test its own emulated PCIe hierarchy, leased to it, and cleans up after it.
 *
 * <pre>{@code
 * @PcieFarmFixture(topology = "examples/gpu-passthrough.json", functions = "01:00.0")
 * class PassthroughTest {
 *   @Test
 *   void enablesTheGpu(HierarchyHandle machine, LeaseHandle lease) {
 *     FunctionHandle gpu = machine.function("01:00.0");
 *     gpu.writeWord(0x04, 0x0006);   // memory space + bus master: the lease allows it
 *     ...
 *   }
 * }
 * }</pre>
 *
 * Before each test (on the class: every test; on a method: that test, overriding the class's)
 * {@link PcieFarmExtension} creates the hierarchy under a unique name and segment, and leases
 * its groups; after the test it releases the lease, which resets every leased device before it
 * returns to the pool, and deletes the hierarchy. Test and lifecycle methods may declare
 * parameters of these types:
 *
 * <ul>
 *   <li>{@link io.pciefarm.client.HierarchyHandle}: the test's hierarchy; name functions
 *       relative to it ({@code "01:00.0"}).</li>
 *   <li>{@link io.pciefarm.client.LeaseHandle}: the test's lease (renewed in the background
 *       while the test runs).</li>
 *   <li>{@link io.pciefarm.client.PcieFarmClient}: the connection, shared by every test.</li>
 *   <li>{@link FixtureFarm}: the farm itself, and the in-process server when there is one.</li>
 * </ul>
 *
 * <h2>Which farm</h2>
 * The configuration parameter {@code pciefarm.server} (also a system property), else the
 * environment variable {@code PCIEFARM_SERVER} ({@code HOST:PORT} or {@code unix:PATH}), with
 * the token from {@code pciefarm.token} / {@code PCIEFARM_TOKEN}. When neither is set, one
 * in-process farm (a real server on 127.0.0.1, an ephemeral port) serves the whole test run.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@Inherited
@ExtendWith(PcieFarmExtension.class)
public @interface PcieFarmFixture {
  /**
   * The topology to build, tried in this order: inline protobuf JSON (starts with
   * <code>{</code>); a file path; a classpath resource ({@code classpath:} prefix optional, e.g.
   * {@code "examples/gpu-passthrough.json"}, which the server jar embeds); an embedded example
   * name ({@code "gpu-passthrough"}). Its name and segment are replaced by unique ones.
   */
  String topology();

  /**
   * Isolation groups to lease (numbered as {@code pciefarm ls HIERARCHY} shows them). With
   * {@link #functions()} also empty (the default): every group a lease can take.
   */
  int[] groups() default {};

  /**
   * Functions ({@code BB:DD.F}) whose groups to lease, with {@link #groups()}. Empty with
   * {@code groups} empty: every group a lease can take.
   */
  String[] functions() default {};

  /** False: create the hierarchy only, lease nothing (no LeaseHandle to inject). */
  boolean lease() default true;

  /** Lease TTL in seconds; 0 (the default): the server's. The lease is renewed anyway. */
  long ttlSeconds() default 0;
}
