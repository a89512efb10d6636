package io.pciefarm.bench.load;

import java.util.List;

/** A scenario's load: started once, measured after the warm-up, stopped, awaited. */
public interface Workload {
  String name();

  /** Every operation kind it records, the headline first. */
  List<OpStats> stats();

  /** Issues the first operations; they go on until {@link #stop} or the budget is spent. */
  void start();

  /**
   * Operations started from {@code nanos} on are measured; at most {@code budget} more are
   * issued.
   */
  void measureFrom(long nanos, long budget);

  /** True once the measured budget is spent. */
  boolean budgetSpent();

  /** No new operations; those in flight complete. */
  void stop();

  /** Waits for the last operation in flight; false on timeout. */
  boolean await(long millis) throws InterruptedException;

  /** Operations in flight now. */
  long inFlight();
}
