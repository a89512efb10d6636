package io.pciefarm.grpc;

import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.pciefarm.reset.WithdrawableFuture;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Unary calls answered off the event loop: the work runs on the farm worker pool in the call's
 * gRPC context (so {@link Caller#current()} and the deadline are there), and the answer goes
 * out when the work's future completes, from whatever thread completes it. No thread waits for
 * a future.
 *
 * <p>A call the client gives up on (deadline or cancellation) is answered at once with
 * DEADLINE_EXCEEDED or CANCELLED, and the work's future is cancelled: a queued reset is
 * withdrawn that way.
 */
final class Calls {
  private static final Logger LOG = Logger.getLogger(Calls.class.getName());

  private Calls() {}

  /** Runs {@code work} on {@code workers} and answers with its result or its status. */
  static <T> void offload(Executor workers, StreamObserver<T> out, Supplier<T> work) {
    offloadAsync(workers, out, () -> CompletableFuture.completedFuture(work.get()));
  }

  /**
   * Starts {@code work} on a worker, with the call's context attached, and returns its outcome
   * (failed with the mapped status when the pool refuses or the work throws). For calls whose
   * outcome is shared, such as a request_id's first attempt and its replays.
   */
  static <T> CompletableFuture<T> onWorker(Executor workers, Supplier<CompletableFuture<T>> work) {
    Context context = Context.current();
    // Cancelling the outcome cancels the work, and succeeds only if that did: a queued reset
    // leaves the queue, a started one runs on and its outcome stands.
    WithdrawableFuture<T> out = new WithdrawableFuture<>();
    Runnable task = () -> {
      if (out.isDone()) {
        return; // cancelled before it ran: nothing to do
      }
      try {
        CompletableFuture<T> inner = work.get();
        out.cancelsWith(inner);
        if (out.isCancelled()) {
          inner.cancel(false); // cancelled while the work was being started
        }
        inner.whenComplete((v, e) -> {
          if (e != null) {
            out.completeExceptionally(e);
          } else {
            out.complete(v);
          }
        });
      } catch (RuntimeException e) {
        out.completeExceptionally(e);
      }
    };
    try {
      workers.execute(context.wrap(task));
    } catch (RuntimeException e) {
      out.completeExceptionally(Statuses.toStatus(e));
    }
    return out;
  }

  /**
   * Runs {@code work} on {@code workers}; answers with the result of the future it returns, or
   * the status of what it throws or completes with. A call already cancelled when a worker gets
   * to it is skipped.
   */
  static <T> void offloadAsync(Executor workers, StreamObserver<T> out,
      Supplier<CompletableFuture<T>> work) {
    Context context = Context.current();
    Runnable task = () -> {
      if (context.isCancelled()) {
        answerQuietly(out, gaveUp(context));
        return;
      }
      CompletableFuture<T> future;
      try {
        future = work.get();
      } catch (RuntimeException e) {
        answerQuietly(out, Statuses.toStatus(e));
        return;
      }
      answerWhenDone(context, out, future);
    };
    try {
      workers.execute(context.wrap(task));
    } catch (RuntimeException e) {
      out.onError(Statuses.toStatus(e));
    }
  }

  /**
   * Answers {@code out} once {@code future} completes, or at once when the call is cancelled or
   * its deadline passes first; then {@code future} is cancelled.
   */
  static <T> void answerWhenDone(Context context, StreamObserver<T> out,
      CompletableFuture<T> future) {
    AtomicBoolean answered = new AtomicBoolean();
    Context.CancellationListener gaveUp = c -> {
      if (answered.compareAndSet(false, true)) {
        future.cancel(false);
        answerQuietly(out, gaveUp(c));
      }
    };
    context.addListener(gaveUp, Runnable::run);
    future.whenComplete((result, failure) -> {
      context.removeListener(gaveUp);
      if (!answered.compareAndSet(false, true)) {
        return;
      }
      if (failure != null) {
        answerQuietly(out, Statuses.toStatus(failure));
        return;
      }
      try {
        out.onNext(result);
        out.onCompleted();
      } catch (RuntimeException e) {
        LOG.log(Level.FINE, "could not answer a call that ended meanwhile", e);
      }
    });
  }

  private static Throwable gaveUp(Context c) {
    Deadline d = c.getDeadline();
    if (d != null && d.isExpired()) {
      return Status.DEADLINE_EXCEEDED.withDescription(
          "the call's deadline passed before the server finished").asRuntimeException();
    }
    return Status.CANCELLED.withDescription("the client cancelled the call")
        .asRuntimeException();
  }

  /** An error answer to a call that may have ended meanwhile (then there is no one to tell). */
  private static void answerQuietly(StreamObserver<?> out, Throwable status) {
    try {
      out.onError(status);
    } catch (RuntimeException e) {
      LOG.log(Level.FINE, "could not answer a call that ended meanwhile", e);
    }
  }
}
