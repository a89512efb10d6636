package io.pciefarm.client.junit;

import io.grpc.Status;
import io.pciefarm.client.HierarchyHandle;
import io.pciefarm.client.LeaseHandle;
import io.pciefarm.client.PcieFarmClient;
import io.pciefarm.client.PcieFarmException;
import io.pciefarm.proto.v1.AcquireRequest;
import io.pciefarm.proto.v1.HierarchyInfo;
import io.pciefarm.proto.v1.HierarchySpec;
import java.lang.reflect.AnnotatedElement;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * The extension behind {@link PcieFarmFixture}: creates the test's hierarchy and lease before
 * each test, releases and deletes them after it, and injects them. See the annotation for use.
 *
 * <p>What is leased: {@link PcieFarmFixture#groups()} and the groups of
 * {@link PcieFarmFixture#functions()}; when both are empty, every group a lease can take (those
 * with a non-bridge function and no host function). Mind devices whose reset hangs (the
 * {@code nic-flr-hang} model): releasing them waits for the farm's readiness timeout (60 s of
 * farm time), so a fixture should lease only what its test needs.
 *
 * <p>Names and segments: the hierarchy is called after the topology's name plus a random suffix
 * and placed on a random segment (0x0100..0xffff) no hierarchy uses, so tests can run in
 * parallel and on a shared farm. The lease's holder is the test's display name.
 *
 * <p>Cleanup: the lease is released first (the server resets its devices, then returns them to
 * the pool: the release answers once that is done), then the hierarchy is deleted, with force,
 * ending any further lease the test took on it. A failure of either fails the test.
 */
public final class PcieFarmExtension implements BeforeEachCallback, AfterEachCallback,
    ParameterResolver {
  /** Environment variable naming a farm to use instead of an in-process one. */
  public static final String SERVER_ENV = "PCIEFARM_SERVER";
  /** Environment variable with the bearer token for {@link #SERVER_ENV}. */
  public static final String TOKEN_ENV = "PCIEFARM_TOKEN";
  /** JUnit configuration parameter (or system property) overriding {@link #SERVER_ENV}. */
  public static final String SERVER_PARAMETER = "pciefarm.server";
  /** JUnit configuration parameter (or system property) overriding {@link #TOKEN_ENV}. */
  public static final String TOKEN_PARAMETER = "pciefarm.token";

  private static final Namespace NAMESPACE = Namespace.create(PcieFarmExtension.class);
  private static final String FIXTURE = "fixture";
  private static final int MAX_HOLDER = 200;

  /** One test's hierarchy and lease. */
  private static final class Fixture {
    final HierarchyHandle hierarchy;
    final LeaseHandle lease;

    Fixture(HierarchyHandle hierarchy, LeaseHandle lease) {
      this.hierarchy = hierarchy;
      this.lease = lease;
    }
  }

  /**
   * Closes the shared farm when the test run ends (JUnit 5.13 and later close AutoCloseable
   * values of the root store; CloseableResource, which older versions need, is deprecated).
   */
  private static final class FarmResource implements AutoCloseable {
    final FixtureFarm farm;
    private boolean closed;

    FarmResource(FixtureFarm farm) {
      this.farm = farm;
    }

    @Override
    public synchronized void close() {
      if (!closed) {
        closed = true;
        farm.close();
      }
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    PcieFarmFixture fixture = annotation(context).orElseThrow(() -> new IllegalStateException(
        PcieFarmExtension.class.getSimpleName() + " needs @PcieFarmFixture on "
            + context.getDisplayName() + " or its class"));
    FixtureFarm farm = farm(context);
    ClassLoader loader = context.getTestClass().map(Class::getClassLoader)
        .orElse(Thread.currentThread().getContextClassLoader());
    HierarchySpec spec = Topologies.load(fixture.topology(), loader);
    HierarchyHandle h = create(farm.client(), spec);
    LeaseHandle lease = null;
    try {
      if (fixture.lease()) {
        lease = lease(farm.client(), h, fixture, context.getDisplayName());
      }
    } catch (RuntimeException e) {
      try {
        farm.client().deleteHierarchy(h.name(), true);
      } catch (RuntimeException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    context.getStore(NAMESPACE).put(FIXTURE, new Fixture(h, lease));
  }

  @Override
  public void afterEach(ExtensionContext context) {
    Fixture f = context.getStore(NAMESPACE).remove(FIXTURE, Fixture.class);
    if (f == null) {
      return;
    }
    RuntimeException failure = null;
    if (f.lease != null) {
      try {
        f.lease.release();
      } catch (RuntimeException e) {
        failure = e;
      }
    }
    try {
      farm(context).client().deleteHierarchy(f.hierarchy.name(), true);
    } catch (PcieFarmException e) {
      if (e.code() != Status.Code.NOT_FOUND) { // the test may have deleted it itself
        failure = add(failure, e);
      }
    } catch (RuntimeException e) {
      failure = add(failure, e);
    }
    if (failure != null) {
      throw failure;
    }
  }

  private static RuntimeException add(RuntimeException first, RuntimeException next) {
    if (first == null) {
      return next;
    }
    first.addSuppressed(next);
    return first;
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    return type == HierarchyHandle.class || type == LeaseHandle.class
        || type == PcieFarmClient.class || type == FixtureFarm.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    if (type == PcieFarmClient.class) {
      return farm(context).client();
    }
    if (type == FixtureFarm.class) {
      return farm(context);
    }
    Fixture f = context.getStore(NAMESPACE).get(FIXTURE, Fixture.class);
    if (f == null) {
      throw new ParameterResolutionException("a " + type.getSimpleName() + " exists only for"
          + " the duration of one test (test methods, @BeforeEach, @AfterEach), not in "
          + context.getDisplayName());
    }
    if (type == HierarchyHandle.class) {
      return f.hierarchy;
    }
    if (f.lease == null) {
      throw new ParameterResolutionException("no lease for " + context.getDisplayName()
          + ": @PcieFarmFixture(lease = false), or the topology has no group a lease can take");
    }
    return f.lease;
  }

  /** The method's annotation, else its class's (or an enclosing class's, for @Nested). */
  private static Optional<PcieFarmFixture> annotation(ExtensionContext context) {
    Optional<PcieFarmFixture> a = find(context.getTestMethod().orElse(null));
    for (Class<?> c = context.getTestClass().orElse(null); a.isEmpty() && c != null;
        c = c.getEnclosingClass()) {
      a = find(c);
    }
    return a;
  }

  private static Optional<PcieFarmFixture> find(AnnotatedElement element) {
    return element == null ? Optional.empty()
        : AnnotationSupport.findAnnotation(element, PcieFarmFixture.class);
  }

  /** The run's farm: created on first use, closed when the run ends. */
  static FixtureFarm farm(ExtensionContext context) {
    return context.getRoot().getStore(NAMESPACE).getOrComputeIfAbsent(FarmResource.class,
        k -> new FarmResource(open(context)), FarmResource.class).farm;
  }

  private static FixtureFarm open(ExtensionContext context) {
    String server = setting(context, SERVER_PARAMETER, SERVER_ENV);
    return server == null ? FixtureFarm.inProcess()
        : FixtureFarm.remote(server, setting(context, TOKEN_PARAMETER, TOKEN_ENV));
  }

  private static String setting(ExtensionContext context, String parameter, String env) {
    String v = context.getConfigurationParameter(parameter).orElse(System.getenv(env));
    return v == null || v.isBlank() ? null : v.strip();
  }

  /** Creates the hierarchy under a fresh name, on a segment nobody uses. */
  private static HierarchyHandle create(PcieFarmClient client, HierarchySpec spec) {
    String base = spec.getName().isEmpty() ? "fixture" : spec.getName();
    ThreadLocalRandom random = ThreadLocalRandom.current();
    PcieFarmException last = null;
    for (int attempt = 0; attempt < 16; attempt++) {
      Set<Integer> used = new HashSet<>();
      for (HierarchyInfo h : client.hierarchies()) {
        used.add(h.getSegment());
      }
      int segment;
      do {
        segment = random.nextInt(0x100, 0x10000);
      } while (used.contains(segment));
      String name = base + "-" + Integer.toHexString(random.nextInt(0x100000, 0x1000000));
      try {
        return client.createHierarchy(spec.toBuilder().setName(name).setSegment(segment)
            .build());
      } catch (PcieFarmException e) {
        if (e.code() != Status.Code.ALREADY_EXISTS) {
          throw e;
        }
        last = e; // someone took the name or segment meanwhile: draw again
      }
    }
    throw last;
  }

  private static LeaseHandle lease(PcieFarmClient client, HierarchyHandle h,
      PcieFarmFixture fixture, String test) {
    AcquireRequest.Builder r = AcquireRequest.newBuilder().setHierarchy(h.name())
        .setHolder(test.length() <= MAX_HOLDER ? test : test.substring(0, MAX_HOLDER));
    for (String f : fixture.functions()) {
      r.addFunctions(h.function(f).address().toString());
    }
    if (fixture.groups().length > 0) {
      r.addAllGroups(java.util.Arrays.stream(fixture.groups()).boxed().toList());
    } else if (fixture.functions().length == 0) {
      List<Integer> all = h.leasableGroups();
      if (all.isEmpty()) {
        return null;
      }
      r.addAllGroups(all);
    }
    if (fixture.ttlSeconds() > 0) {
      r.setTtl(com.google.protobuf.Duration.newBuilder().setSeconds(fixture.ttlSeconds()));
    }
    return client.acquire(r.build());
  }
}
