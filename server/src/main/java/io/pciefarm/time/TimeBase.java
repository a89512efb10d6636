package io.pciefarm.time;

import java.time.Duration;

/**
 * A farm's clock and time scale. Model delays are multiplied by the farm's scale and then by
 * the hierarchy's: 0 makes every delay instant (load tests), 1 is real time.
 */
public final class TimeBase {
  private static final TimeBase SYSTEM = new TimeBase(new SystemFarmClock(), 1.0);

  private final FarmClock clock;
  private volatile double scale;

  public TimeBase(FarmClock clock, double scale) {
    this.clock = clock;
    scale(scale);
  }

  /** Real time, scale 1, one shared scheduler thread: for tools and tests that need no control. */
  public static TimeBase system() {
    return SYSTEM;
  }

  public FarmClock clock() {
    return clock;
  }

  public double scale() {
    return scale;
  }

  /** @throws IllegalArgumentException for a negative or non-finite scale */
  public void scale(double scale) {
    this.scale = checkScale(scale);
  }

  /** Validates a time scale: finite and at least 0. */
  public static double checkScale(double scale) {
    if (!(scale >= 0) || Double.isInfinite(scale)) {
      throw new IllegalArgumentException("time scale " + scale
          + " must be a finite number >= 0 (0 instant, 1 real time)");
    }
    return scale;
  }

  /** {@code d} scaled by this farm's and the given hierarchy scale, in nanoseconds. */
  public long scaledNanos(Duration d, double hierarchyScale) {
    double nanos = d.toNanos() * scale * hierarchyScale;
    return nanos >= Long.MAX_VALUE ? Long.MAX_VALUE : Math.round(nanos);
  }
}
