package io.pciefarm.topology;

import java.util.List;

/**
 * Draws a hierarchy as {@code lspci -t} does, from the live routing: every function config
 * requests can reach, bridges labelled with their programmed bus range. A person who reads
 * lspci trees reads this one; the real {@code lspci -F dump -t} draws the same tree from a dump
 * of the hierarchy.
 *
 * <p>The drawing keeps one line buffer: each printed line leaves behind, for the lines under
 * it, a vertical bar where it had a branch ({@code +} or {@code |}) and blanks elsewhere.
 */
public final class TopologyTree {
  private final StringBuilder out = new StringBuilder();
  private final char[] line = new char[1024];

  private TopologyTree() {}

  /** The tree of one hierarchy, one line per leaf, each ending in a newline. */
  public static String render(Hierarchy h) {
    return render(List.of(h));
  }

  /**
   * The trees of several hierarchies (segments), as lspci draws a machine with several PCI
   * domains: one root per segment in ascending order, and always a {@code 0000:00} root, empty
   * when no hierarchy holds segment 0, because lspci's host bridge starts with that bus.
   */
  public static String render(java.util.Collection<Hierarchy> hierarchies) {
    java.util.TreeMap<Integer, Hierarchy> bySegment = new java.util.TreeMap<>();
    for (Hierarchy h : hierarchies) {
      bySegment.put(h.segment(), h);
    }
    java.util.List<Integer> roots = new java.util.ArrayList<>(bySegment.keySet());
    if (!bySegment.containsKey(0)) {
      roots.add(0, 0);
    }
    TopologyTree t = new TopologyTree();
    int p = t.put(0, "-");
    if (roots.size() == 1) {
      Hierarchy h = bySegment.get(0);
      t.bus(h, h.rootBus().functions(), t.put(p, "[0000:00]-"));
    } else {
      for (int i = 0; i < roots.size(); i++) {
        String branch = i == roots.size() - 1 ? "\\-" : "+-";
        int segment = roots.get(i);
        int q = t.put(p, String.format("%s[%04x:00]-", branch, segment));
        Hierarchy h = bySegment.get(segment);
        t.bus(h, h == null ? List.of() : h.rootBus().functions(), q);
      }
    }
    return t.out.toString();
  }

  private void bus(Hierarchy hierarchy, List<PciFunction> functions, int p) {
    if (functions.isEmpty()) {
      emit(p);
    } else if (functions.size() == 1) {
      device(hierarchy, functions.get(0), put(p, "--"));
    } else {
      for (int i = 0; i < functions.size(); i++) {
        boolean last = i == functions.size() - 1;
        device(hierarchy, functions.get(i), put(p, last ? "\\-" : "+-"));
      }
    }
  }

  private void device(Hierarchy hierarchy, PciFunction f, int p) {
    p = put(p, String.format("%02x.%x", f.deviceNumber(), f.functionNumber()));
    if (!f.isBridge()) {
      emit(p);
      return;
    }
    int secondary = f.secondaryBusNumber();
    int subordinate = f.subordinateBusNumber();
    // Secondary 0 is no bus a bridge can own (bus 0 is the root's): lspci (since 3.8) prints
    // no range for it rather than "-[00]-", and nothing below it.
    p = put(p, secondary == 0 ? "-"
        : secondary == subordinate ? String.format("-[%02x]-", secondary)
        : String.format("-[%02x-%02x]-", secondary, subordinate));
    p = put(p, "-");
    // The bridge's own bus is drawn below it only when requests for its secondary number reach
    // it (not when subordinate < secondary, say): lspci finds its functions nowhere else.
    boolean reached = secondary != 0
        && hierarchy.routing().numberOf(f.secondary()) == secondary;
    bus(hierarchy, reached ? f.secondary().functions() : List.of(), p);
  }

  private int put(int p, String s) {
    s.getChars(0, s.length(), line, p);
    return p + s.length();
  }

  /** Prints the line up to {@code p}, then leaves only the vertical bars for the next lines. */
  private void emit(int p) {
    out.append(line, 0, p).append('\n');
    for (int i = 0; i <= p && i < line.length; i++) {
      line[i] = line[i] == '+' || line[i] == '|' ? '|' : ' ';
    }
  }
}
