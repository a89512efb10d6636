package io.pciefarm.cli;

import io.pciefarm.client.Address;
import io.pciefarm.client.EventSubscription;
import io.pciefarm.client.PcieFarmClient;
import io.pciefarm.client.PcieFarmException;
import io.pciefarm.proto.v1.Event;
import io.pciefarm.proto.v1.EventFilter;
import io.pciefarm.proto.v1.EventStreamItem;
import io.pciefarm.proto.v1.EventType;
import io.pciefarm.proto.v1.Gap;
import io.pciefarm.proto.v1.GapCause;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pciefarm events}: follows the farm's event stream (EventService.Subscribe), one line
 * per event, until {@code --count} events have been printed or it is interrupted.
 */
@Command(name = "events", mixinStandardHelpOptions = true, description = {
    "Follow the farm's events, one line each: sequence, time, hierarchy, type, function,",
    "slot and details; a 'gap' line stands where events were lost, saying how many and why.",
    "Runs until --count events were printed, or until interrupted.",
    "Examples: pciefarm events hotplug-rack --slot 2",
    "          pciefarm events storage-switch --from 1 --count 10   (replay the history)"})
final class EventsCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  ServerOptions server;

  @Parameters(arity = "0..1", paramLabel = "HIERARCHY",
      description = "Only this hierarchy's events (default: every hierarchy).")
  String hierarchy;

  @Option(names = "--slot", paramLabel = "N", description = "Only events about slot N.")
  int slot;

  @Option(names = "--function", paramLabel = "BDF",
      description = "Only events about this function (slot and link events: the port).")
  String function;

  @Option(names = {"-t", "--type"}, paramLabel = "TYPE", split = ",",
      description = "Only these types, e.g. slot_presence_changed,interrupt.")
  List<String> types = new ArrayList<>();

  @Option(names = "--from", paramLabel = "SEQ", description = "Start at this sequence number"
      + " of HIERARCHY's history instead of now (1: everything the server still holds).")
  long from;

  @Option(names = {"-n", "--count"}, paramLabel = "N",
      description = "Stop after N events (default: follow until interrupted).")
  long count;

  @Option(names = "--buffer", paramLabel = "N",
      description = "Events the server may hold for this subscriber (default: the server's).")
  int buffer;

  @Override
  public Integer call() throws InterruptedException {
    PrintWriter out = spec.commandLine().getOut();
    EventFilter filter = filter();
    if (from < 0 || count < 0 || buffer < 0) {
      throw usage("--from, --count and --buffer cannot be negative");
    }
    if (from > 0 && hierarchy == null) {
      throw usage("--from needs a HIERARCHY: sequence numbers are per hierarchy");
    }
    AtomicLong printed = new AtomicLong();
    CompletableFuture<Void> enough = new CompletableFuture<>();
    try (PcieFarmClient client = server.connect()) {
      EventSubscription sub = client.subscribe(filter, from, buffer, item -> {
        if (enough.isDone()) {
          return;
        }
        synchronized (out) {
          out.println(line(item));
          out.flush();
        }
        if (item.hasEvent() && count > 0 && printed.incrementAndGet() >= count) {
          enough.complete(null);
        }
      });
      try {
        CompletableFuture.anyOf(enough, sub.done()).get();
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        throw cause instanceof PcieFarmException p ? p : new IllegalStateException(cause);
      } finally {
        sub.close();
      }
    }
    return 0;
  }

  private EventFilter filter() {
    EventFilter.Builder f = EventFilter.newBuilder();
    if (hierarchy != null) {
      f.setHierarchy(hierarchy);
    }
    if (slot < 0) {
      throw usage("--slot " + slot + " is not a slot number");
    }
    f.setSlot(slot);
    if (function != null) {
      try {
        f.setFunction(Address.parse(function).toString());
      } catch (IllegalArgumentException e) {
        throw usage(e.getMessage());
      }
    }
    for (String t : types) {
      String name = t.trim().toUpperCase(Locale.ROOT);
      try {
        EventType type = EventType.valueOf(name.startsWith("EVENT_TYPE_") ? name
            : "EVENT_TYPE_" + name);
        if (type == EventType.EVENT_TYPE_UNSPECIFIED) {
          throw new IllegalArgumentException();
        }
        f.addTypes(type);
      } catch (IllegalArgumentException e) {
        throw usage("unknown event type '" + t + "'; known: " + String.join(", ",
            java.util.Arrays.stream(EventType.values())
                .filter(x -> x != EventType.EVENT_TYPE_UNSPECIFIED
                    && x != EventType.UNRECOGNIZED)
                .map(x -> x.name().substring("EVENT_TYPE_".length()).toLowerCase(Locale.ROOT))
                .toList()));
      }
    }
    return f.build();
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  /**
   * One item as a line: {@code SEQ TIME HIERARCHY TYPE FUNCTION [slot N] [key=value ...]}, or
   * {@code gap: N events missed (cause)}.
   */
  static String line(EventStreamItem item) {
    if (item.hasGap()) {
      Gap g = item.getGap();
      return "gap: " + g.getMissed() + " event(s) missed (" + (g.getCause()
          == GapCause.GAP_CAUSE_BUFFER_OVERFLOW
          ? "this subscriber read too slowly; they are likely still in the history: rerun with"
              + " --from the sequence after the last one printed"
          : "the server's history no longer reaches back that far") + ")";
    }
    Event e = item.getEvent();
    StringBuilder b = new StringBuilder();
    b.append(e.getSequence()).append(' ')
        .append(Instant.ofEpochSecond(e.getTime().getSeconds(), e.getTime().getNanos()))
        .append(' ').append(e.getHierarchy())
        .append(' ').append(e.getType().name().substring("EVENT_TYPE_".length()))
        .append(' ').append(e.getFunction().isEmpty() ? "-" : e.getFunction());
    if (e.getSlot() != 0) {
      b.append(" slot ").append(e.getSlot());
    }
    for (Map.Entry<String, String> d : new TreeMap<>(e.getDetailsMap()).entrySet()) {
      b.append(' ').append(d.getKey()).append('=').append(d.getValue());
    }
    return b.toString();
  }
}
