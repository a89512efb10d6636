package io.pciefarm.reset;

import io.pciefarm.ownership.Authority;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * One reset request.
 *
 * @param target what to reset
 * @param allowed methods the caller allows; the farm tries them in Linux's order (restricted
 *     by each function's reset-method list) and uses the first that applies
 * @param mode TRY fails at once when an overlapping reset holds any affected function; WAIT
 *     queues behind it, in order, until {@code deadline}
 * @param deadline how long a WAIT request may queue, and how long the farm waits for functions
 *     to become ready before reporting them not ready; null for no bound beyond the farm's
 * @param saveRestore save each affected function's config state first and restore it once the
 *     function is ready again, as Linux does around a reset
 * @param caller whose functions the request may reach: every affected function's owner must
 *     be one it {@linkplain Authority#covers covers} (an {@link io.pciefarm.ownership.Owner}
 *     covers only itself)
 */
public record ResetRequest(ResetTarget target, Set<ResetMethod> allowed, Mode mode,
    Duration deadline, boolean saveRestore, Authority caller) {
  /** How a request meets a reset already holding some of its functions. */
  public enum Mode {
    TRY,
    WAIT
  }

  public ResetRequest {
    Objects.requireNonNull(target, "target");
    Objects.requireNonNull(mode, "mode");
    Objects.requireNonNull(caller, "caller");
    allowed = Set.copyOf(allowed);
    if (allowed.isEmpty()) {
      throw new IllegalArgumentException("no reset method allowed");
    }
    if (deadline != null && deadline.isNegative()) {
      throw new IllegalArgumentException("deadline " + deadline + " is negative");
    }
  }
}
