package io.pciefarm.reset;

import java.util.List;

/**
 * What a reset request would do: the method the farm would use and every function it reaches.
 * Returned by a probe, which changes nothing, and at the head of every result.
 */
public record ResetPlan(ResetMethod method, List<AffectedFunction> affected) {
  public ResetPlan {
    affected = List.copyOf(affected);
  }
}
