package io.pciefarm.reset;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * The methods a reset request allows, written as names and aliases from the 2018 linux-pci
 * proposal for a unified reset call: {@code FUNC} = device_specific, flr, af_flr, pm;
 * {@code LINK} = slot, bus; {@code ANY} = every method. Names are case-insensitive and
 * comma- or space-separated, e.g. {@code "flr,bus"} or {@code "FUNC LINK"}.
 */
public final class MethodSet {
  public static final Set<ResetMethod> FUNC = Collections.unmodifiableSet(EnumSet.of(
      ResetMethod.DEVICE_SPECIFIC, ResetMethod.FLR, ResetMethod.AF_FLR, ResetMethod.PM));
  public static final Set<ResetMethod> LINK = Collections.unmodifiableSet(EnumSet.of(
      ResetMethod.SLOT, ResetMethod.BUS));
  public static final Set<ResetMethod> ANY = Collections.unmodifiableSet(
      EnumSet.allOf(ResetMethod.class));

  private MethodSet() {}

  /**
   * Parses a method set.
   *
   * @throws IllegalArgumentException naming the unknown word, or for an empty set
   */
  public static Set<ResetMethod> parse(String text) {
    Set<ResetMethod> out = EnumSet.noneOf(ResetMethod.class);
    for (String word : text.trim().split("[,\\s]+")) {
      if (word.isEmpty()) {
        continue;
      }
      switch (word.toUpperCase(Locale.ROOT)) {
        case "FUNC" -> out.addAll(FUNC);
        case "LINK" -> out.addAll(LINK);
        case "ANY" -> out.addAll(ANY);
        default -> out.add(ResetMethod.parse(word));
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("no reset method allowed: give methods or FUNC, LINK, ANY");
    }
    return out;
  }
}
