package io.pciefarm.client;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.Status;
import io.pciefarm.proto.v1.Event;
import io.pciefarm.proto.v1.EventServiceGrpc;
import io.pciefarm.proto.v1.EventStreamItem;
import io.pciefarm.proto.v1.SubscribeRequest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * A live event stream ({@code EventService.Subscribe}): every item (an {@link Event} or a
 * {@link io.pciefarm.proto.v1.Gap}) goes to the consumer, one at a time, in order, on a gRPC
 * thread. Made by {@link PcieFarmClient#subscribe}, which returns once the server's
 * subscription is live, so whatever the caller does next is seen.
 *
 * <p>Flow control: the next item is requested only when the consumer has returned, so a slow
 * consumer slows the stream down; once the server's buffer for it is full, the server drops
 * events and sends a gap counting them (GAP_CAUSE_BUFFER_OVERFLOW). Resubscribe from
 * {@link #lastSequence()} + 1 to get them from the hierarchy's history.
 *
 * <p>{@link #close()} cancels the stream; the server closes its subscription.
 */
public final class EventSubscription implements AutoCloseable {
  private final ClientCall<SubscribeRequest, EventStreamItem> call;
  private final Consumer<EventStreamItem> consumer;
  private final String what;
  private final CompletableFuture<Void> started = new CompletableFuture<>();
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private volatile boolean closing;
  private volatile long lastSequence;
  private volatile RuntimeException consumerFailure;

  private EventSubscription(ClientCall<SubscribeRequest, EventStreamItem> call,
      Consumer<EventStreamItem> consumer, String what) {
    this.call = call;
    this.consumer = consumer;
    this.what = what;
  }

  /** Starts the call and waits up to {@code startTimeout} for the server to confirm it. */
  static EventSubscription open(Channel channel, SubscribeRequest request,
      Consumer<EventStreamItem> consumer, Duration startTimeout, String what) {
    EventSubscription s = new EventSubscription(
        channel.newCall(EventServiceGrpc.getSubscribeMethod(), CallOptions.DEFAULT), consumer,
        what);
    s.call.start(s.new Listener(), new Metadata());
    s.call.sendMessage(request);
    s.call.halfClose();
    s.call.request(1);
    try {
      s.started.get(startTimeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (ExecutionException e) {
      throw (RuntimeException) e.getCause();
    } catch (TimeoutException e) {
      s.call.cancel("no answer from the server", null);
      throw new PcieFarmException(Status.Code.DEADLINE_EXCEEDED, what + ": the server did not"
          + " confirm the subscription within " + startTimeout.toMillis() + " ms", null, e);
    } catch (InterruptedException e) {
      s.call.cancel("interrupted", e);
      Thread.currentThread().interrupt();
      throw new PcieFarmException(Status.Code.CANCELLED, what + ": interrupted", null, e);
    }
    return s;
  }

  /**
   * Completes when the stream ends: normally after {@link #close()}, exceptionally with a
   * {@link PcieFarmException} when the server ends it (UNAVAILABLE when it shuts down) or the
   * connection breaks, or with what the consumer threw.
   */
  public CompletableFuture<Void> done() {
    return done;
  }

  /** True until the stream has ended. */
  public boolean isActive() {
    return !done.isDone();
  }

  /** The sequence number of the last event delivered (of any hierarchy), 0 before the first. */
  public long lastSequence() {
    return lastSequence;
  }

  /** Cancels the stream. Idempotent; the consumer gets nothing after the stream has ended. */
  @Override
  public void close() {
    closing = true;
    call.cancel("closed by the client", null);
  }

  private final class Listener extends ClientCall.Listener<EventStreamItem> {
    @Override
    public void onHeaders(Metadata headers) {
      started.complete(null);
    }

    @Override
    public void onMessage(EventStreamItem item) {
      if (done.isDone() || closing) {
        return;
      }
      try {
        consumer.accept(item);
      } catch (RuntimeException e) {
        consumerFailure = e;
        call.cancel("the event consumer failed", e);
        return;
      }
      if (item.hasEvent()) {
        lastSequence = item.getEvent().getSequence();
      }
      call.request(1);
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      if (status.isOk() || (closing && status.getCode() == Status.Code.CANCELLED)) {
        started.complete(null);
        done.complete(null);
        return;
      }
      PcieFarmException e = PcieFarmException.of(status.asRuntimeException(trailers), what);
      started.completeExceptionally(e);
      RuntimeException failure = consumerFailure;
      done.completeExceptionally(failure != null ? failure : e);
    }
  }
}
