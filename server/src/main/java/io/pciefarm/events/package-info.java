/**
 * The farm's event bus: slot state changes, interrupts, link changes, resets, ownership changes
 * and hierarchy lifecycle, numbered per hierarchy and streamed to filtered subscribers.
 *
 * <h2>Shape</h2>
 * Each hierarchy publishes into its {@link io.pciefarm.events.EventLog}, obtained from
 * {@link io.pciefarm.events.EventBus#register}. Subscribers call
 * {@link io.pciefarm.events.EventBus#subscribe} with an {@link io.pciefarm.events.EventFilter}
 * (hierarchy, slot, function, types), an optional sequence number to resume from, and a buffer
 * capacity, and pull {@link io.pciefarm.events.StreamItem}s ({@link io.pciefarm.events.Event}s
 * and {@link io.pciefarm.events.Gap}s) from the {@link io.pciefarm.events.Subscription}. There is
 * no thread per subscriber: publishers put events into subscribers' buffers, and an optional
 * {@code onReady} callback tells a waiting subscriber to pull.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li><b>Numbering.</b> Per hierarchy, sequence numbers start at 1
 *       ({@code HIERARCHY_CREATED}) and go up by one per event: none skipped, none repeated,
 *       under any number of concurrent publishers. A re-registered hierarchy starts again at 1.
 *   <li><b>Order.</b> A subscription receives each hierarchy's events in sequence order.
 *       Different hierarchies' events interleave in no promised order.
 *   <li><b>Exactly accounted.</b> A subscription delivers each event at most once, and every
 *       matching event it does not deliver is counted in exactly one gap, placed where the
 *       events are missing. Overflow gaps count matching events; the one history gap a resumed
 *       subscription can start with counts sequence numbers.
 *   <li><b>Isolation.</b> Publishing never waits for a subscriber, whatever the subscriber does;
 *       a full buffer drops the new event into a gap. One subscriber's stall affects no other.
 *   <li><b>Bounded memory.</b> A subscription holds at most its capacity in events and one
 *       more than that in gap markers (2 &times; capacity + 1 slots, allocated up front), plus,
 *       when resuming, a replay of at most the history capacity; a log holds its history
 *       capacity. Events are shared, not copied. A closed subscription drops all of it.
 * </ul>
 *
 * <h2>Serving a gRPC stream</h2>
 * Drain on one serializing executor, from both readiness signals, and stop on cancellation:
 * <pre>{@code
 * ServerCallStreamObserver<EventMessage> call = (ServerCallStreamObserver<EventMessage>) observer;
 * // Runs tasks one at a time, in order, on the call's executor (Guava comes with gRPC).
 * Executor serial = MoreExecutors.newSequentialExecutor(grpcExecutor);
 * AtomicReference<Subscription> sub = new AtomicReference<>();
 * Runnable drain = () -> {
 *   Subscription s = sub.get();
 *   while (s != null && call.isReady()) {
 *     StreamItem item = s.poll();       // null arms onReady; the next event re-runs drain
 *     if (item == null) return;
 *     call.onNext(toProto(item));
 *   }                                   // not ready: gRPC's onReady handler re-runs drain
 * };
 * call.setOnReadyHandler(() -> serial.execute(drain));
 * call.setOnCancelHandler(() -> { Subscription s = sub.get(); if (s != null) s.close(); });
 * sub.set(bus.subscribe(filter, resumeFrom, 1024, () -> serial.execute(drain)));
 * serial.execute(drain);                 // the replay, and the first arming
 * }</pre>
 * {@code io.pciefarm.grpc.Statuses} maps {@link io.pciefarm.events.ResumeRejectedException.Reason}
 * as the contract (events.proto) says: UNKNOWN_HIERARCHY to NOT_FOUND, the others to
 * FAILED_PRECONDITION. {@code io.pciefarm.grpc.EventServiceImpl} serves the stream this way.
 */
package io.pciefarm.events;
