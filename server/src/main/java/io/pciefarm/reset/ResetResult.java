package io.pciefarm.reset;

import java.util.List;

/**
 * A finished reset.
 *
 * @param plan the method used and the functions reached
 * @param warnings things the caller should know (functions that were in use)
 * @param notReady functions that did not become ready before the farm stopped waiting
 * @param restored whether config state was saved and restored
 */
public record ResetResult(ResetPlan plan, List<String> warnings, List<String> notReady,
    boolean restored) {
  public ResetResult {
    warnings = List.copyOf(warnings);
    notReady = List.copyOf(notReady);
  }

  /** True when every affected function came back. */
  public boolean complete() {
    return notReady.isEmpty();
  }
}
