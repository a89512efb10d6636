package io.pciefarm.events;

/**
 * What a {@link Subscription} delivers: an {@link Event}, or a {@link Gap} saying how many events
 * it will never deliver at that point of the stream.
 */
public sealed interface StreamItem permits Event, Gap {
}
