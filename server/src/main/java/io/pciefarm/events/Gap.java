package io.pciefarm.events;

/**
 * A marker in a subscription's stream: {@code missed} events belong here that the subscription
 * will never deliver. Every event the subscriber was owed and does not get is counted in exactly
 * one gap.
 *
 * @param cause why they are missing
 * @param missed how many, always at least 1
 */
public record Gap(Cause cause, long missed) implements StreamItem {
  /** Why events are missing. */
  public enum Cause {
    /**
     * The subscriber's buffer was full when they were published. {@code missed} counts exactly
     * the events that matched the filter and were dropped. They were the newest at the time, so
     * they are likely still in the log's history: a client can resubscribe from the sequence
     * after the last event it got.
     */
    BUFFER_OVERFLOW,
    /**
     * A resumed subscription asked for sequence numbers the log's history no longer holds. Only
     * ever the first item of a stream. {@code missed} counts those sequence numbers exactly; with
     * a filter narrower than the hierarchy, some of them may not have matched, which the log can
     * no longer tell.
     */
    HISTORY_EXPIRED
  }

  public Gap {
    if (cause == null) {
      throw new IllegalArgumentException("a gap needs a cause");
    }
    if (missed < 1) {
      throw new IllegalArgumentException("a gap misses at least one event, not " + missed);
    }
  }
}
