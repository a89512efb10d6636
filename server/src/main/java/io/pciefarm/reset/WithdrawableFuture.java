package io.pciefarm.reset;

import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * A future whose {@link #cancel} withdraws the work it stands for, and succeeds only when the
 * withdrawal did: a queued reset leaves the queue and the future is cancelled; a started one
 * runs to its end and the future completes with its outcome (so a retry with the same request
 * id is answered with it, not reset again). Layers that wrap such a future pass the cancel
 * through with {@link #cancelsWith}.
 *
 * <p>Until a withdrawal is set, cancel behaves as {@link CompletableFuture#cancel}: nothing has
 * started that could refuse it.
 */
public final class WithdrawableFuture<T> extends CompletableFuture<T> {
  private volatile BooleanSupplier withdraw = () -> true;

  /** From now on, cancel first runs {@code w}; false (too late) refuses the cancel. */
  public void withdrawBy(BooleanSupplier w) {
    withdraw = w;
  }

  /** From now on, cancel cancels {@code inner} first, and only succeeds if that did. */
  public void cancelsWith(CompletableFuture<?> inner) {
    withdrawBy(() -> inner.cancel(false));
  }

  @Override
  public boolean cancel(boolean mayInterruptIfRunning) {
    return withdraw.getAsBoolean() && super.cancel(mayInterruptIfRunning);
  }
}
