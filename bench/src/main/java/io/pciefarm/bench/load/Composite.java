package io.pciefarm.bench.load;

import java.util.ArrayList;
import java.util.List;

/** Several workloads at once (the mixed scenario); a count bound applies to each. */
final class Composite implements Workload {
  private final String name;
  private final List<Workload> parts;

  Composite(String name, List<Workload> parts) {
    this.name = name;
    this.parts = List.copyOf(parts);
  }

  List<Workload> parts() {
    return parts;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public List<OpStats> stats() {
    List<OpStats> out = new ArrayList<>();
    parts.forEach(p -> out.addAll(p.stats()));
    return out;
  }

  @Override
  public void start() {
    parts.forEach(Workload::start);
  }

  @Override
  public void measureFrom(long nanos, long budget) {
    parts.forEach(p -> p.measureFrom(nanos, budget));
  }

  @Override
  public boolean budgetSpent() {
    return parts.stream().allMatch(Workload::budgetSpent);
  }

  @Override
  public void stop() {
    parts.forEach(Workload::stop);
  }

  @Override
  public boolean await(long millis) throws InterruptedException {
    long end = System.nanoTime() + millis * 1_000_000;
    for (Workload p : parts) {
      long left = Math.max(0, (end - System.nanoTime()) / 1_000_000);
      if (!p.await(left)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public long inFlight() {
    return parts.stream().mapToLong(Workload::inFlight).sum();
  }
}
