package io.pciefarm.bench.load;

import io.grpc.Status;
import io.pciefarm.proto.v1.ConfigServiceGrpc;
import io.pciefarm.proto.v1.HotPlugServiceGrpc;
import io.pciefarm.proto.v1.InsertRequest;
import io.pciefarm.proto.v1.ReadRequest;
import io.pciefarm.proto.v1.ReadResponse;
import io.pciefarm.proto.v1.SlotActionRequest;
import io.pciefarm.proto.v1.SlotRef;
import io.pciefarm.proto.v1.Width;
import io.pciefarm.proto.v1.WriteRequest;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.PciExpress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Hot-plug churn: one client per empty hot-plug slot (at most {@code concurrency}), each
 * looping over the slot it owns, so clients never race each other for a slot:
 *
 * <ol>
 *   <li>{@code insert}: HotPlugService.Insert of a card into the (unpowered) slot;
 *   <li>{@code power_on}: the OS's side, a read-modify-write of the port's Slot Control over
 *       ConfigService: Power Controller Control on, Power Indicator on;
 *   <li>{@code ready}: Vendor ID of the card polled until it answers (not Retry Status, not all
 *       ones): link training and readiness, time-scaled;
 *   <li>{@code remove}: HotPlugService.Remove while powered with the link up: a surprise
 *       removal;
 *   <li>{@code power_off}: Slot Control power off, as pciehp does after a removal.
 * </ol>
 *
 * One {@code hotplug.cycle} is all five. A step that fails is recorded under its name and the
 * cycle's, and the client puts the slot back (card removed, retried while the server is busy;
 * power off) before the next cycle.
 */
final class HotPlugChurn implements Workload {
  /** How long {@code ready} polls before it counts the cycle failed (real time). */
  static final long READY_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final Target target;
  private final Options o;
  private final List<FarmMap.Slot> slots;
  private final int[] slotControl;
  private final ScheduledExecutorService timer;
  private final OpStats cycle;
  private final OpStats insert;
  private final OpStats powerOn;
  private final OpStats ready;
  private final OpStats remove;
  private final OpStats powerOff;
  private final ClosedLoop loop;
  private final AtomicLong ids = new AtomicLong();
  private final String runId = Long.toHexString(System.nanoTime());
  private final int firstChannel;

  HotPlugChurn(Target target, FarmMap map, Options o, int maxClients, int firstChannel,
      ScheduledExecutorService timer) {
    this.target = target;
    this.o = o;
    this.timer = timer;
    this.firstChannel = firstChannel;
    List<FarmMap.Slot> all = map.emptySlots();
    if (all.isEmpty()) {
      throw new IllegalStateException("the farm has no empty hot-plug slot to churn");
    }
    this.slots = new ArrayList<>(all.subList(0, Math.min(maxClients, all.size())));
    this.slotControl = new int[slots.size()];
    Set<Status.Code> none = Set.of();
    cycle = new OpStats("hotplug.cycle", "cycle", none);
    insert = new OpStats("hotplug.insert", "call", none);
    powerOn = new OpStats("hotplug.power_on", "call", none);
    ready = new OpStats("hotplug.ready", "card", none);
    remove = new OpStats("hotplug.remove", "call", none);
    powerOff = new OpStats("hotplug.power_off", "call", none);
    loop = new ClosedLoop(slots.size(), Long.MAX_VALUE, this::step);
  }

  /** Finds every slot's Slot Control and powers the slot off, so each cycle starts alike. */
  void prepare() {
    var config = ConfigServiceGrpc.newBlockingStub(target.channel(firstChannel))
        .withDeadlineAfter(5 + slots.size() / 100, TimeUnit.MINUTES);
    for (int i = 0; i < slots.size(); i++) {
      String port = slots.get(i).port();
      int exp = findCapability(config, port, CapabilityId.EXP);
      if (exp < 0) {
        throw new IllegalStateException(port + " has no PCI Express capability");
      }
      slotControl[i] = exp + PciExpress.SLOT_CONTROL;
      int v = config.read(ReadRequest.newBuilder().setAddress(port).setOffset(slotControl[i])
          .setWidth(Width.WIDTH_WORD).build()).getValue();
      config.write(WriteRequest.newBuilder().setAddress(port).setOffset(slotControl[i])
          .setWidth(Width.WIDTH_WORD).setValue(powerOffValue(v)).build());
    }
  }

  static int findCapability(ConfigServiceGrpc.ConfigServiceBlockingStub config, String address,
      int id) {
    int ptr = config.read(ReadRequest.newBuilder().setAddress(address).setOffset(0x34)
        .setWidth(Width.WIDTH_BYTE).build()).getValue() & 0xFC;
    for (int hops = 0; ptr != 0 && hops < 48; hops++) {
      int v = config.read(ReadRequest.newBuilder().setAddress(address).setOffset(ptr)
          .setWidth(Width.WIDTH_DWORD).build()).getValue();
      if ((v & 0xFF) == id) {
        return ptr;
      }
      ptr = (v >>> 8) & 0xFC;
    }
    return -1;
  }

  static int powerOnValue(int slotControl) {
    return (slotControl & ~PciExpress.SLTCTL_PCC & ~PciExpress.SLTCTL_PIC_MASK)
        | (PciExpress.INDICATOR_ON << PciExpress.SLTCTL_PIC_SHIFT);
  }

  static int powerOffValue(int slotControl) {
    return (slotControl & ~PciExpress.SLTCTL_PIC_MASK) | PciExpress.SLTCTL_PCC
        | PciExpress.SLTCTL_PIC_OFF;
  }

  int clients() {
    return slots.size();
  }

  private SlotRef ref(FarmMap.Slot s) {
    return SlotRef.newBuilder().setHierarchy(s.hierarchy()).setSlot(s.number()).build();
  }

  private String requestId() {
    return o.requestIds ? runId + "-hp-" + ids.incrementAndGet() : "";
  }

  private void step(int client, Runnable done) {
    FarmMap.Slot s = slots.get(client);
    long cycleStart = System.nanoTime();
    Cycle c = new Cycle(client, s, cycleStart, done);
    c.insert();
  }

  /** One client's cycle, step by step through callbacks. */
  private final class Cycle {
    final int client;
    final FarmMap.Slot slot;
    final long start;
    final Runnable done;

    Cycle(int client, FarmMap.Slot slot, long start, Runnable done) {
      this.client = client;
      this.slot = slot;
      this.start = start;
      this.done = done;
    }

    void insert() {
      long t = System.nanoTime();
      Rpc.unary(target.mutationChannel(firstChannel + client),
          HotPlugServiceGrpc.getInsertMethod(),
          InsertRequest.newBuilder().setSlot(ref(slot)).setModel(o.churnModel)
              .setLabel("churn").setRequestId(requestId()).build(),
          o.deadlineMs, (resp, status) -> {
            if (!ok(insert, t, status)) {
              fail(status, false);
              return;
            }
            powerOn();
          });
    }

    void powerOn() {
      long t = System.nanoTime();
      slotControl(PowerChange.ON, status -> {
        if (!ok(powerOn, t, status)) {
          fail(status, true);
          return;
        }
        awaitReady(System.nanoTime(), System.nanoTime());
      });
    }

    void awaitReady(long since, long firstPoll) {
      Rpc.unary(target.channel(firstChannel + client), ConfigServiceGrpc.getReadMethod(),
          ReadRequest.newBuilder().setAddress(slot.cardAddress()).setOffset(0)
              .setWidth(Width.WIDTH_WORD).build(),
          o.deadlineMs, (ReadResponse resp, Status status) -> {
            boolean retry = status.getCode() == Status.Code.UNAVAILABLE
                || (status.isOk() && (resp.getValue() == 0x0001 || resp.getValue() == 0xFFFF));
            if (status.isOk() && !retry) {
              ready.ok(since, 1);
              remove();
            } else if (retry && System.nanoTime() - firstPoll < READY_TIMEOUT_NANOS) {
              long delay = Math.max(100_000, Math.min(5_000_000,
                  (long) (1_000_000 * Math.max(o.timeScale, 0.05))));
              timer.schedule(() -> awaitReady(since, firstPoll), delay, TimeUnit.NANOSECONDS);
            } else {
              Status s = status.isOk() ? Status.DEADLINE_EXCEEDED.withDescription(
                  "the card in " + slot.cardAddress() + " did not answer within 30 s") : status;
              ready.failed(since, s);
              fail(s, true);
            }
          });
    }

    void remove() {
      long t = System.nanoTime();
      Rpc.unary(target.mutationChannel(firstChannel + client),
          HotPlugServiceGrpc.getRemoveMethod(),
          SlotActionRequest.newBuilder().setSlot(ref(slot)).setRequestId(requestId()).build(),
          o.deadlineMs, (resp, status) -> {
            if (!ok(remove, t, status)) {
              fail(status, true);
              return;
            }
            powerOff();
          });
    }

    void powerOff() {
      long t = System.nanoTime();
      slotControl(PowerChange.OFF, status -> {
        if (!ok(powerOff, t, status)) {
          fail(status, false);
          return;
        }
        cycle.ok(start, 1);
        done.run();
      });
    }

    private boolean ok(OpStats stats, long t, Status status) {
      if (status.isOk()) {
        stats.ok(t, 1);
        return true;
      }
      stats.failed(t, status);
      return false;
    }

    /**
     * Records the failed cycle, then puts the slot back as a cycle starts it: the card out
     * (retried while the server is busy, RESOURCE_EXHAUSTED or UNAVAILABLE, up to 50 times;
     * FAILED_PRECONDITION means the slot is already empty) and the power off.
     */
    void fail(Status status, boolean removeCard) {
      cycle.failed(start, status);
      recover(0);
    }

    private void recover(int attempt) {
      Runnable off = () -> slotControl(PowerChange.OFF, ignored -> done.run());
      Rpc.unary(target.mutationChannel(firstChannel + client),
          HotPlugServiceGrpc.getRemoveMethod(),
          SlotActionRequest.newBuilder().setSlot(ref(slot)).setRequestId(requestId()).build(),
          o.deadlineMs, (resp, st) -> {
            boolean busy = st.getCode() == Status.Code.RESOURCE_EXHAUSTED
                || st.getCode() == Status.Code.UNAVAILABLE;
            if (busy && attempt < 50) {
              timer.schedule(() -> recover(attempt + 1), 2L << Math.min(attempt, 5),
                  TimeUnit.MILLISECONDS);
            } else {
              off.run();
            }
          });
    }

    /** Read-modify-write of Slot Control; reports the first failure or OK. */
    void slotControl(PowerChange change, java.util.function.Consumer<Status> then) {
      int offset = slotControl[client];
      Rpc.unary(target.channel(firstChannel + client), ConfigServiceGrpc.getReadMethod(),
          ReadRequest.newBuilder().setAddress(slot.port()).setOffset(offset)
              .setWidth(Width.WIDTH_WORD).build(),
          o.deadlineMs, (ReadResponse resp, Status status) -> {
            if (!status.isOk()) {
              then.accept(status);
              return;
            }
            int v = change == PowerChange.ON ? powerOnValue(resp.getValue())
                : powerOffValue(resp.getValue());
            Rpc.unary(target.channel(firstChannel + client), ConfigServiceGrpc.getWriteMethod(),
                WriteRequest.newBuilder().setAddress(slot.port()).setOffset(offset)
                    .setWidth(Width.WIDTH_WORD).setValue(v).build(),
                o.deadlineMs, (w, ws) -> then.accept(ws));
          });
    }
  }

  private enum PowerChange { ON, OFF }

  @Override
  public String name() {
    return "hotplug-churn";
  }

  @Override
  public List<OpStats> stats() {
    return List.of(cycle, insert, powerOn, ready, remove, powerOff);
  }

  @Override
  public void start() {
    loop.start();
  }

  @Override
  public void measureFrom(long nanos, long budget) {
    stats().forEach(s -> s.startMeasuring(nanos));
    loop.budget(budget);
  }

  @Override
  public boolean budgetSpent() {
    return loop.budgetSpent();
  }

  @Override
  public void stop() {
    loop.stop();
  }

  @Override
  public boolean await(long millis) throws InterruptedException {
    return loop.await(millis, TimeUnit.MILLISECONDS);
  }

  @Override
  public long inFlight() {
    return loop.inFlight();
  }

}
