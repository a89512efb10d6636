package io.pciefarm.grpc;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * Executes a non-idempotent request once per request id: a retry that carries the same
 * {@code request_id} is answered with the first attempt's outcome, result or status, instead of
 * acting again. One instance per server, shared by every service.
 *
 * <h2>Rules</h2>
 * <ul>
 *   <li>The key is (tenant of the {@link Caller}, rpc, request id): tenants never see each
 *       other's ids.</li>
 *   <li>The first call with a key runs its work; calls with the same key that arrive while it
 *       runs join it, later ones are answered from memory. Nobody blocks: joiners get a future
 *       that completes with the first.</li>
 *   <li>Failures are replayed like results, except those whose status says nothing was done and
 *       a retry may succeed ({@link #forgets}: UNAVAILABLE, ABORTED, RESOURCE_EXHAUSTED,
 *       DEADLINE_EXCEEDED, CANCELLED): those are forgotten, so the next repeat runs. A joiner
 *       that saw the first attempt CANCELLED (its caller went away) gets UNAVAILABLE, which
 *       clients retry.</li>
 *   <li>When given the request, a repeat must be equal to the first ({@code equals}; for
 *       protobuf messages, field by field); a different request with a used id is
 *       INVALID_ARGUMENT.</li>
 *   <li>Outcomes are remembered for {@link #DEFAULT_RETENTION} after the first call arrived, at
 *       most {@link #DEFAULT_MAX_ENTRIES} of them (least recently used leave first), in a
 *       Caffeine cache. An empty request id bypasses all of this.</li>
 * </ul>
 *
 * <h2>Wiring a handler</h2>
 * Every service gets this server's instance ({@link PcieFarmServer#idempotentCalls()}) in its
 * constructor and wraps the start of its work in one call; ConfigService.Write,
 * LeaseService.Acquire, ResetService.Reset and the HotPlugService actions do. The shape:
 *
 * <pre>{@code
 * IdempotentCalls.reply(idempotent.once(Caller.current(),
 *     ResetServiceGrpc.getResetMethod().getFullMethodName(), request.getRequestId(), request,
 *     () -> Calls.onWorker(workers, () -> reset(request)),  // starts the work, returns its future
 *     r -> r.toBuilder().setReplayed(true).build()),       // how a replay is marked (or null)
 *     out);                                                 // onNext+onCompleted, or onError
 * }</pre>
 *
 * The work supplier runs on the calling thread; anything it throws becomes the outcome. Read
 * {@link Caller#current()} before handing work to another thread.
 *
 * <h2>Cancellation</h2>
 * Cancelling a future this class returned (a caller giving up) does not cancel the work: the
 * work's outcome is what a retry with the same id gets. A handler that wants a give-up to
 * withdraw its work cancels the work's own future (ResetService.Reset does, from the call's
 * context; LeaseService.Acquire does for a waiting acquisition): the CANCELLED outcome is then
 * forgotten and a retry runs the work again. That is right only for work that had not acted
 * yet, so work that has acted refuses the cancel: a reset's future, and the futures the service
 * and {@code Calls.onWorker} wrap it in, are {@link io.pciefarm.reset.WithdrawableFuture}s that
 * cancel only while the request is queued; once the reset started, it runs to its end and its
 * outcome stands for the retry.
 */
public final class IdempotentCalls {
  /** How long an outcome is remembered after the first call with its id arrived. */
  public static final Duration DEFAULT_RETENTION = Duration.ofMinutes(10);
  /** Most outcomes remembered at once. */
  public static final long DEFAULT_MAX_ENTRIES = 100_000;
  /** Longest request id accepted (INVALID_ARGUMENT beyond): a UUID is 36. */
  public static final int MAX_REQUEST_ID_LENGTH = 128;

  private record Key(String tenant, String rpc, String requestId) {}

  /**
   * The first call with a key: its request, and its outcome once known. Protobuf requests and
   * results are kept serialized ({@link Compact}): up to 100,000 outcomes live for minutes, and
   * one byte array each, instead of a tree of message and string objects, is what keeps a reset
   * storm with request ids from spending its CPU in the garbage collector's marking.
   */
  private static final class Entry {
    final Object request;
    final CompletableFuture<Object> outcome = new CompletableFuture<>();

    Entry(Object request) {
      this.request = compact(request);
    }
  }

  /** A protobuf message kept as its bytes, and the parser that brings it back. */
  private record Compact(com.google.protobuf.Parser<?> parser, com.google.protobuf.ByteString bytes) {
    Object expand() {
      try {
        return parser.parseFrom(bytes);
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new IllegalStateException("a remembered outcome no longer parses", e);
      }
    }
  }

  /** {@code o} as remembered: a message as its bytes, anything else as it is. */
  private static Object compact(Object o) {
    return o instanceof com.google.protobuf.Message m
        ? new Compact(m.getParserForType(), m.toByteString()) : o;
  }

  /** A failed outcome, kept as the status (with trailers, e.g. PreconditionFailure details). */
  private record Failure(Status status, Metadata trailers) {}

  private final Cache<Key, Entry> cache;

  /** Ten minutes, 100,000 entries, on the system clock. */
  public IdempotentCalls() {
    this(DEFAULT_MAX_ENTRIES, DEFAULT_RETENTION, Ticker.systemTicker());
  }

  /** For tests: a bound, a retention and the ticker that measures it. */
  public IdempotentCalls(long maxEntries, Duration retention, Ticker ticker) {
    this.cache = Caffeine.newBuilder()
        .maximumSize(maxEntries)
        .expireAfterWrite(retention)
        .ticker(ticker)
        .build();
  }

  /** {@link #once(Caller, String, String, Object, Supplier, UnaryOperator)} without the checks. */
  public <T> CompletableFuture<T> once(Caller caller, String rpc, String requestId,
      Supplier<CompletableFuture<T>> work) {
    return once(caller, rpc, requestId, null, work, null);
  }

  /**
   * Runs {@code work} unless a call with the same (tenant, rpc, request id) ran or runs; then
   * answers with that call's outcome.
   *
   * @param rpc the method, e.g. {@code ConfigServiceGrpc.getWriteMethod().getFullMethodName()}
   * @param requestId the client's id; null or empty: run {@code work}, remember nothing
   * @param request the request, compared with the first one's (null: not compared)
   * @param work starts the work; may complete on any thread
   * @param asReplay marks a replayed result (e.g. sets a {@code replayed} field); null keeps it
   * @return the outcome: completes exceptionally with the first attempt's status for a replayed
   *     failure, or with INVALID_ARGUMENT for a bad or reused id
   */
  public <T> CompletableFuture<T> once(Caller caller, String rpc, String requestId,
      Object request, Supplier<CompletableFuture<T>> work, UnaryOperator<T> asReplay) {
    if (requestId == null || requestId.isEmpty()) {
      return start(work);
    }
    if (requestId.length() > MAX_REQUEST_ID_LENGTH) {
      return CompletableFuture.failedFuture(Statuses.invalidArgument("request_id",
          "request_id has " + requestId.length() + " characters; at most "
              + MAX_REQUEST_ID_LENGTH + " (a UUID is 36)"));
    }
    Key key = new Key(caller.tenant(), rpc, requestId);
    Entry mine = new Entry(request);
    Entry first = cache.asMap().putIfAbsent(key, mine);
    if (first == null) {
      CompletableFuture<T> f = start(work);
      f.whenComplete((value, error) -> {
        if (error == null) {
          mine.outcome.complete(compact(value));
          return;
        }
        StatusRuntimeException s = Statuses.toStatus(error);
        if (forgets(s.getStatus().getCode())) {
          cache.asMap().remove(key, mine);
        }
        mine.outcome.complete(new Failure(s.getStatus(), s.getTrailers()));
      });
      // The first caller gets the work's own result (not a parsed copy), through a dependent
      // future: cancelling it must not cancel the work.
      return f.handle((value, error) -> {
        if (error == null) {
          return value;
        }
        StatusRuntimeException s = Statuses.toStatus(error);
        throw failure(new Failure(s.getStatus(), s.getTrailers()), requestId, false);
      });
    }
    if (request != null && first.request != null && !compact(request).equals(first.request)) {
      return CompletableFuture.failedFuture(Statuses.invalidArgument("request_id",
          "request_id " + Requests.quote(requestId) + " was used for a different request;"
              + " a new request needs a new id"));
    }
    return outcome(first, requestId, true, asReplay);
  }

  /** The entry's outcome as the caller sees it: a value, or a fresh status exception. */
  private static <T> CompletableFuture<T> outcome(Entry e, String requestId, boolean replay,
      UnaryOperator<T> asReplay) {
    return e.outcome.thenApply(o -> {
      if (o instanceof Failure failure) {
        throw failure(failure, requestId, replay);
      }
      @SuppressWarnings("unchecked")
      T value = (T) (o instanceof Compact c ? c.expand() : o);
      return replay && asReplay != null ? asReplay.apply(value) : value;
    });
  }

  /**
   * Statuses that mean the call did nothing and a retry may succeed: such an outcome is not
   * remembered.
   */
  public static boolean forgets(Status.Code code) {
    return switch (code) {
      case UNAVAILABLE, ABORTED, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, CANCELLED -> true;
      default -> false;
    };
  }

  /** A fresh exception per answer: gRPC adds to the trailers it is handed. */
  private static StatusRuntimeException failure(Failure f, String requestId, boolean replay) {
    Metadata trailers = new Metadata();
    if (f.trailers() != null) {
      trailers.merge(f.trailers());
    }
    if (replay && f.status().getCode() == Status.Code.CANCELLED) {
      return Status.UNAVAILABLE.withDescription("the first attempt with request_id "
          + Requests.quote(requestId) + " was cancelled before it finished; retry")
          .asRuntimeException(trailers);
    }
    return f.status().asRuntimeException(trailers);
  }

  private static <T> CompletableFuture<T> start(Supplier<CompletableFuture<T>> work) {
    try {
      return Objects.requireNonNull(work.get(), "work returned no future");
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Outcomes remembered now (approximately), for tests and monitoring. */
  public long size() {
    cache.cleanUp();
    return cache.estimatedSize();
  }

  /**
   * Answers a unary call with {@code f}'s outcome: its value, or its status through
   * {@link Statuses#toStatus}. Safe on any thread; a call already cancelled drops the answer.
   */
  public static <T> void reply(CompletableFuture<T> f, io.grpc.stub.StreamObserver<T> out) {
    f.whenComplete((value, error) -> {
      try {
        if (error != null) {
          out.onError(Statuses.toStatus(error));
        } else {
          out.onNext(value);
          out.onCompleted();
        }
      } catch (RuntimeException cancelled) {
        // the client went away: nobody to answer
      }
    });
  }
}
