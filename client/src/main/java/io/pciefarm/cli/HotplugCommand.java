package io.pciefarm.cli;

import io.pciefarm.client.PcieFarmClient;
import io.pciefarm.client.SlotHandle;
import io.pciefarm.proto.v1.Indicator;
import io.pciefarm.proto.v1.SlotCapabilities;
import io.pciefarm.proto.v1.SlotState;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code pciefarm hotplug}: the slots of a hierarchy, and what a person at the rack does to
 * one (HotPlugService). What the OS does in reply (power, indicators) goes through config
 * writes to the port's Slot Control, e.g. with {@code pciefarm setpci}.
 */
@Command(name = "hotplug", mixinStandardHelpOptions = true, description = {
    "List a hierarchy's hot-plug slots, or act on one as a person at the rack would.",
    "  pciefarm hotplug HIERARCHY                      every slot",
    "  pciefarm hotplug HIERARCHY SLOT [status]        one slot in detail",
    "  pciefarm hotplug HIERARCHY SLOT insert MODEL    put a card in (pciefarm catalog)",
    "  pciefarm hotplug HIERARCHY SLOT remove          pull the card (a surprise while powered)",
    "  pciefarm hotplug HIERARCHY SLOT button          press the attention button",
    "  pciefarm hotplug HIERARCHY SLOT mrl-open        open the retention latch (cuts power)",
    "  pciefarm hotplug HIERARCHY SLOT mrl-close       close it",
    "  pciefarm hotplug HIERARCHY SLOT fault           signal a power fault",
    "Each action prints the slot's state after it."})
final class HotplugCommand implements Callable<Integer> {
  static final List<String> ACTIONS = List.of("status", "insert", "remove", "button", "mrl-open",
      "mrl-close", "fault");

  @Spec
  CommandSpec spec;

  @Mixin
  ServerOptions server;

  @Parameters(index = "0", paramLabel = "HIERARCHY", description = "The hierarchy.")
  String hierarchy;

  @Parameters(index = "1", arity = "0..1", paramLabel = "SLOT",
      description = "Physical slot number.")
  Integer slot;

  @Parameters(index = "2", arity = "0..1", paramLabel = "ACTION",
      description = "status (default), insert, remove, button, mrl-open, mrl-close, fault.")
  String action;

  @Parameters(index = "3", arity = "0..1", paramLabel = "MODEL",
      description = "The card's catalog model, for insert.")
  String model;

  @Option(names = "--label", paramLabel = "TEXT", description = "A label for the inserted card.")
  String label = "";

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    String act = action == null ? "status" : action.toLowerCase(Locale.ROOT);
    if (!ACTIONS.contains(act)) {
      throw usage("unknown action '" + action + "': " + String.join(", ", ACTIONS));
    }
    if (act.equals("insert") && model == null) {
      throw usage("insert needs the card's MODEL (pciefarm catalog lists them)");
    }
    if (!act.equals("insert") && model != null) {
      throw usage("'" + model + "' is not expected after " + act);
    }
    try (PcieFarmClient client = server.connect()) {
      if (slot == null) {
        list(out, client.slots(hierarchy));
      } else {
        SlotHandle s = client.slot(hierarchy, slot);
        SlotState state = switch (act) {
          case "insert" -> s.insert(model, label);
          case "remove" -> s.remove();
          case "button" -> s.pressAttentionButton();
          case "mrl-open" -> s.openMrl();
          case "mrl-close" -> s.closeMrl();
          case "fault" -> s.injectPowerFault();
          default -> s.state();
        };
        show(out, state);
      }
    }
    out.flush();
    return 0;
  }

  private ParameterException usage(String message) {
    return new ParameterException(spec.commandLine(), message);
  }

  static void list(PrintWriter out, List<SlotState> slots) {
    out.printf("%4s  %-12s %-7s %-5s %-4s %-6s %-9s %-9s %s%n", "SLOT", "PORT", "CARD",
        "POWER", "LINK", "LATCH", "ATTN-IND", "PWR-IND", "MODEL");
    for (SlotState s : slots) {
      out.printf("%4d  %-12s %-7s %-5s %-4s %-6s %-9s %-9s %s%n", s.getSlot(), s.getPort(),
          s.getCardPresent() ? "present" : "empty", s.getPowered() ? "on" : "off",
          s.getLinkActive() ? "up" : "down", s.getMrlOpen() ? "open" : "closed",
          indicator(s.getAttentionIndicator()), indicator(s.getPowerIndicator()),
          s.getModel().isEmpty() ? "-" : s.getModel());
    }
  }

  static void show(PrintWriter out, SlotState s) {
    out.printf("slot %d of %s (port %s)%n", s.getSlot(), s.getHierarchy(), s.getPort());
    out.println("card:        " + (s.getCardPresent() ? s.getModel() : "(empty)"));
    out.printf("power:       %s, link %s, latch %s, interlock %s%n",
        s.getPowered() ? "on" : "off", s.getLinkActive() ? "up" : "down",
        s.getMrlOpen() ? "open" : "closed", s.getInterlockEngaged() ? "engaged" : "released");
    out.printf("indicators:  attention %s, power %s%n", indicator(s.getAttentionIndicator()),
        indicator(s.getPowerIndicator()));
    out.printf("registers:   Slot Control %04x, Slot Status %04x%n", s.getSlotControl(),
        s.getSlotStatus());
    out.println("has:         " + capabilities(s.getCapabilities()));
  }

  static String indicator(Indicator i) {
    return i == Indicator.INDICATOR_UNSPECIFIED || i == Indicator.UNRECOGNIZED ? "-"
        : i.name().substring("INDICATOR_".length()).toLowerCase(Locale.ROOT);
  }

  static String capabilities(SlotCapabilities c) {
    List<String> out = new ArrayList<>();
    if (c.getAttentionButton()) {
      out.add("attention-button");
    }
    if (c.getPowerController()) {
      out.add("power-controller");
    }
    if (c.getMrlSensor()) {
      out.add("mrl-sensor");
    }
    if (c.getAttentionIndicator()) {
      out.add("attention-indicator");
    }
    if (c.getPowerIndicator()) {
      out.add("power-indicator");
    }
    if (c.getHotPlugSurprise()) {
      out.add("surprise");
    }
    if (c.getHotPlugCapable()) {
      out.add("hot-plug-capable");
    }
    if (c.getNoCommandCompleted()) {
      out.add("no-command-completed");
    }
    return out.isEmpty() ? "-" : String.join(" ", out);
  }
}
