package io.pciefarm.cli;

import io.pciefarm.client.Address;
import io.pciefarm.client.Batch;
import io.pciefarm.client.BatchResult;
import io.pciefarm.client.ConfigStream;
import io.pciefarm.client.PcieFarmClient;
import io.pciefarm.proto.v1.FunctionInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Reads functions' config space over one batch stream, many dwords per batch, pipelined. */
final class ConfigFetcher {
  /** Accesses per batch, unless the server's limit is lower. */
  static final int BATCH = 1024;

  private ConfigFetcher() {}

  /**
   * The first {@code min(bytes, config size)} bytes of each function, as dwords; one array per
   * function, in order.
   */
  static List<int[]> fetch(PcieFarmClient client, List<FunctionInfo> functions, int bytes) {
    List<int[]> out = new ArrayList<>();
    record Slot(int function, int index) {}
    List<Slot> slots = new ArrayList<>();
    int perBatch = Math.min(BATCH, Math.max(1, client.serverInfo().getMaxBatchAccesses()));
    List<CompletableFuture<BatchResult>> results = new ArrayList<>();
    List<List<Slot>> batchSlots = new ArrayList<>();
    try (ConfigStream stream = client.openStream()) {
      Batch batch = new Batch();
      for (int fi = 0; fi < functions.size(); fi++) {
        FunctionInfo f = functions.get(fi);
        int dwords = Math.min(bytes, f.getConfigSize()) / 4;
        out.add(new int[dwords]);
        Address a = Address.unpack(f.getPackedAddress());
        for (int i = 0; i < dwords; i++) {
          batch.read(a, i * 4, 4);
          slots.add(new Slot(fi, i));
          if (batch.size() == perBatch) {
            results.add(stream.submit(batch));
            batchSlots.add(slots);
            batch = new Batch();
            slots = new ArrayList<>();
          }
        }
      }
      if (!batch.isEmpty()) {
        results.add(stream.submit(batch));
        batchSlots.add(slots);
      }
      for (int b = 0; b < results.size(); b++) {
        BatchResult r = join(results.get(b));
        List<Slot> s = batchSlots.get(b);
        for (int i = 0; i < s.size(); i++) {
          out.get(s.get(i).function())[s.get(i).index()] = r.value(i);
        }
      }
    }
    return out;
  }

  private static BatchResult join(CompletableFuture<BatchResult> f) {
    try {
      return f.join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw e;
    }
  }
}
