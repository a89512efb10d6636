package io.pciefarm.cli;

import io.pciefarm.client.HierarchyHandle;
import io.pciefarm.client.LeaseHandle;
import io.pciefarm.client.PcieFarmClient;
import io.pciefarm.proto.v1.AcquireRequest;
import io.pciefarm.proto.v1.Lease;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pciefarm lease}: leases on isolation groups.
 *
 * <pre>
 * pciefarm lease acquire HIERARCHY (--group N | --function BDF)... [--ttl D] [--holder NAME]
 *                        [--wait D] [--hold]
 * pciefarm lease renew ID [--ttl D]
 * pciefarm lease release ID
 * pciefarm lease ls [HIERARCHY]
 * </pre>
 *
 * Durations: {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, a bare number of seconds, or
 * ISO-8601 ({@code PT30S}). {@code acquire} prints the lease id alone on its first line, so
 * {@code ID=$(pciefarm lease acquire ... | head -1)} works; without {@code --hold} nothing renews
 * the lease: it lives its TTL unless renewed ({@code lease renew}).
 */
@Command(name = "lease", mixinStandardHelpOptions = true, description = {
    "Acquire, renew, release and list leases on isolation groups.",
    "Only a lease's holder may write to or reset its functions; releasing",
    "or letting it expire resets them before they return to the pool."},
    subcommands = {LeaseCommand.Acquire.class, LeaseCommand.Renew.class,
        LeaseCommand.Release.class, LeaseCommand.Ls.class})
final class LeaseCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(),
        "a subcommand is required: acquire, renew, release or ls");
  }

  /** {@code lease acquire}. */
  @Command(name = "acquire", mixinStandardHelpOptions = true, description = {
      "Lease isolation groups, by number or by a function they hold.",
      "Prints the lease id on the first line, then what the lease holds."})
  static final class Acquire implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Parameters(index = "0", paramLabel = "HIERARCHY", description = "The hierarchy.")
    String hierarchy;

    @Option(names = "--group", paramLabel = "N",
        description = "An isolation group (as 'pciefarm ls HIERARCHY' shows); repeatable.")
    List<Integer> groups = new ArrayList<>();

    @Option(names = "--function", paramLabel = "BDF",
        description = "A function (BB:DD.F or DDDD:BB:DD.F): its group is taken; repeatable.")
    List<String> functions = new ArrayList<>();

    @Option(names = "--ttl", paramLabel = "D", converter = DurationConverter.class,
        description = "How long it lives without renewal (default: the server's, 30s).")
    Duration ttl;

    @Option(names = "--holder", paramLabel = "NAME",
        description = "A name for people (default: your tenant).")
    String holder;

    @Option(names = "--wait", paramLabel = "D", converter = DurationConverter.class,
        description = "Queue up to D for groups that are taken, instead of failing.")
    Duration wait;

    @Option(names = "--hold", description = {
        "Keep the lease: renew it until interrupted (Ctrl-C), then release it."})
    boolean hold;

    @Override
    public Integer call() throws Exception {
      if (groups.isEmpty() && functions.isEmpty()) {
        throw new ParameterException(spec.commandLine(),
            "give at least one --group N or --function BDF");
      }
      PrintWriter out = spec.commandLine().getOut();
      try (PcieFarmClient client = server.connect()) {
        AcquireRequest.Builder r = AcquireRequest.newBuilder().setHierarchy(hierarchy)
            .addAllGroups(groups).setWait(wait != null);
        if (!functions.isEmpty()) {
          HierarchyHandle h = client.hierarchy(hierarchy);
          for (String f : functions) {
            r.addFunctions(h.function(f).address().toString());
          }
        }
        if (ttl != null) {
          r.setTtl(proto(ttl));
        }
        if (holder != null) {
          r.setHolder(holder);
        }
        Duration deadline = wait != null ? wait : PcieFarmClient.DEFAULT_CALL_TIMEOUT;
        if (!hold) {
          print(out, client.acquireLease(r.build(), deadline));
          out.flush();
          return 0;
        }
        return hold(out, client.acquire(r.build(), deadline));
      }
    }

    /** Renews until interrupted or the lease is lost; releases it on the way out. */
    private int hold(PrintWriter out, LeaseHandle lease) {
      print(out, lease.info());
      out.printf("holding: renewing about every %s until interrupted (Ctrl-C), then releasing%n",
          format(duration(lease.info().getTtl()).dividedBy(3)));
      out.flush();
      // Ctrl-C ends the JVM without interrupting this thread: release from a hook then.
      Thread hook = new Thread(() -> releaseQuietly(out, lease), "pciefarm-lease-release");
      Runtime.getRuntime().addShutdownHook(hook);
      try {
        while (lease.active()) {
          Thread.sleep(200);
        }
      } catch (InterruptedException e) {
        // asked to stop: release below
      } finally {
        try {
          Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException shuttingDown) {
          // the hook is running: it releases
        }
      }
      if (lease.failure().isPresent()) {
        throw lease.failure().get(); // lost: nothing left to release
      }
      boolean released = lease.release();
      out.println(released ? "released " + lease.id() : "lease " + lease.id() + " was gone");
      out.flush();
      warn(spec.commandLine().getErr(), lease.releaseNotes());
      return 0;
    }

    private static void releaseQuietly(PrintWriter out, LeaseHandle lease) {
      try {
        if (lease.release()) {
          out.println("released " + lease.id());
          out.flush();
        }
      } catch (RuntimeException e) {
        System.err.println("pciefarm lease acquire: could not release " + lease.id() + ": "
            + PcieFarmCli.oneLine(e));
      }
    }
  }

  /** {@code lease renew}. */
  @Command(name = "renew", mixinStandardHelpOptions = true, description = {
      "Extend a lease by its TTL (or --ttl) from now."})
  static final class Renew implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Parameters(index = "0", paramLabel = "ID", description = "The lease id.")
    String id;

    @Option(names = "--ttl", paramLabel = "D", converter = DurationConverter.class,
        description = "The new TTL (default: the lease's own).")
    Duration ttl;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      try (PcieFarmClient client = server.connect()) {
        Lease l = client.renewLease(id, ttl);
        out.printf("renewed %s: expires in %s (%s)%n", l.getId(),
            format(Duration.between(Instant.now(), expires(l))), expires(l));
      }
      out.flush();
      return 0;
    }
  }

  /** {@code lease release}. */
  @Command(name = "release", mixinStandardHelpOptions = true, description = {
      "End a lease: its functions are reset, then return to the pool."})
  static final class Release implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Parameters(index = "0", paramLabel = "ID", description = "The lease id.")
    String id;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      try (PcieFarmClient client = server.connect()) {
        io.pciefarm.proto.v1.ReleaseResponse r = client.release(id);
        out.println(r.getReleased() ? "released " + id
            : "lease " + id + " was already gone (released or expired)");
        out.flush();
        warn(spec.commandLine().getErr(), r.getNotesList());
      }
      return 0;
    }
  }

  /** {@code lease ls}. */
  @Command(name = "ls", mixinStandardHelpOptions = true, description = {
      "List the leases held now, of every tenant."})
  static final class Ls implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ServerOptions server;

    @Parameters(arity = "0..1", paramLabel = "HIERARCHY", description = "Only this hierarchy's.")
    String hierarchy;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      try (PcieFarmClient client = server.connect()) {
        List<Lease> leases = client.leases(hierarchy);
        out.printf("%-32s %-20s %-12s %-16s %-8s %8s  %s%n", "ID", "HIERARCHY", "TENANT",
            "HOLDER", "GROUPS", "EXPIRES", "FUNCTIONS");
        for (Lease l : leases) {
          out.printf("%-32s %-20s %-12s %-16s %-8s %8s  %s%n", l.getId(), l.getHierarchy(),
              l.getTenant(), l.getHolder(), l.getGroupsList().stream().map(String::valueOf)
                  .collect(Collectors.joining(",")),
              format(Duration.between(Instant.now(), expires(l))),
              String.join(",", l.getFunctionsList()));
        }
      }
      out.flush();
      return 0;
    }
  }

  // -----------------------------------------------------------------------------------------

  /**
   * What a release's clean-up reset could not do, one "warning:" line each on stderr: not an
   * error (the lease is gone and the functions are back), but what the next holder will find.
   */
  static void warn(PrintWriter err, List<String> notes) {
    for (String n : notes) {
      err.println("pciefarm lease: warning: " + n);
    }
    err.flush();
  }

  static void print(PrintWriter out, Lease l) {
    out.println(l.getId());
    out.printf("  hierarchy %s, groups %s%n", l.getHierarchy(), l.getGroupsList().stream()
        .map(String::valueOf).collect(Collectors.joining(",")));
    out.printf("  functions %s%n", String.join(" ", l.getFunctionsList()));
    out.printf("  tenant %s, holder %s, ttl %s, expires %s%n", l.getTenant(), l.getHolder(),
        format(duration(l.getTtl())), expires(l));
  }

  static Instant expires(Lease l) {
    return Instant.ofEpochSecond(l.getExpires().getSeconds(), l.getExpires().getNanos());
  }

  static Duration duration(com.google.protobuf.Duration d) {
    return Duration.ofSeconds(d.getSeconds(), d.getNanos());
  }

  static com.google.protobuf.Duration proto(Duration d) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds())
        .setNanos(d.getNano()).build();
  }

  /** {@code 1h2m3s}, {@code 45s}, {@code 250ms}; negative (past) as {@code -3s}. */
  static String format(Duration d) {
    if (d.isNegative()) {
      return "-" + format(d.negated());
    }
    if (d.compareTo(Duration.ofSeconds(1)) < 0) {
      return d.toMillis() + "ms";
    }
    long s = d.getSeconds();
    StringBuilder b = new StringBuilder();
    if (s >= 3600) {
      b.append(s / 3600).append('h');
    }
    if (s % 3600 >= 60) {
      b.append(s % 3600 / 60).append('m');
    }
    if (s % 60 != 0 || b.length() == 0) {
      b.append(s % 60).append('s');
    }
    return b.toString();
  }

  /** Parses {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h}, {@code 90}, {@code PT30S}. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    private static final Pattern SIMPLE = Pattern.compile("(\\d+)(ms|s|m|h)?");

    @Override
    public Duration convert(String value) {
      String v = value.strip().toLowerCase(Locale.ROOT);
      Matcher m = SIMPLE.matcher(v);
      try {
        if (m.matches()) {
          long n = Long.parseLong(m.group(1));
          String unit = m.group(2) == null ? "s" : m.group(2);
          return switch (unit) {
            case "ms" -> Duration.ofMillis(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofSeconds(n);
          };
        }
        return Duration.parse(value.strip().toUpperCase(Locale.ROOT));
      } catch (NumberFormatException | DateTimeParseException | ArithmeticException e) {
        throw new CommandLine.TypeConversionException("'" + value
            + "' is not a duration: e.g. 500ms, 30s, 5m, 2h or PT30S");
      }
    }
  }
}
