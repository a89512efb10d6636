package io.pciefarm.reset;

import io.pciefarm.topology.PciFunction;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A function's reset-method list as {@code /sys/bus/pci/devices/.../reset_method} reads and
 * writes it: space-separated names in the order they are tried; writing {@code default}
 * restores every supported method in Linux's order; writing an empty list disables resets.
 * A list naming an unknown or unsupported method, or one twice, is refused and the old list
 * kept.
 */
public final class ResetMethods {
  private ResetMethods() {}

  /** The list as sysfs prints it, e.g. {@code "flr bus"}; empty when resets are disabled. */
  public static String show(PciFunction f) {
    return f.resetMethods().stream().map(ResetMethod::sysfsName).collect(Collectors.joining(" "));
  }

  /**
   * Sets the list from sysfs text.
   *
   * @throws IllegalArgumentException saying what is wrong; the list is unchanged
   */
  public static void set(PciFunction f, String text) {
    String t = text.trim();
    if (t.equals("default")) {
      f.resetMethods(null);
      return;
    }
    Set<ResetMethod> supported = ResetSupport.supported(f);
    List<ResetMethod> list = new ArrayList<>();
    Set<ResetMethod> seen = EnumSet.noneOf(ResetMethod.class);
    for (String word : t.isEmpty() ? new String[0] : t.split("[,\\s]+")) {
      ResetMethod m = ResetMethod.parse(word);
      if (!supported.contains(m)) {
        throw new IllegalArgumentException(f.describe() + " does not support reset method '"
            + m.sysfsName() + "'; it supports: " + names(supported));
      }
      if (!seen.add(m)) {
        throw new IllegalArgumentException("reset method '" + m.sysfsName()
            + "' is listed twice");
      }
      list.add(m);
    }
    f.resetMethods(list);
  }

  static String names(Set<ResetMethod> methods) {
    return methods.isEmpty() ? "(none)"
        : methods.stream().map(ResetMethod::sysfsName).collect(Collectors.joining(" "));
  }
}
