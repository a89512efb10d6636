package io.pciefarm.client;

import io.grpc.Status;
import io.pciefarm.proto.v1.AccessBatchResult;
import io.pciefarm.proto.v1.AccessError;
import java.util.List;

/** The answer to one {@link Batch}: a value per access, and the accesses that failed. */
public final class BatchResult {
  private final AccessBatchResult result;
  private final AccessError[] errorAt;

  BatchResult(AccessBatchResult result) {
    this.result = result;
    this.errorAt = new AccessError[result.getValuesCount()];
    for (AccessError e : result.getErrorsList()) {
      if (e.getIndex() < errorAt.length) {
        errorAt[e.getIndex()] = e;
      }
    }
  }

  /** Number of accesses answered. */
  public int size() {
    return result.getValuesCount();
  }

  /**
   * The value access {@code index} read (all ones where no function answered; 0 for writes).
   *
   * @throws PcieFarmException when that access failed
   */
  public int value(int index) {
    AccessError e = errorAt[index];
    if (e != null) {
      throw new PcieFarmException(Status.fromCodeValue(e.getCode()).getCode(),
          "access " + index + ": " + e.getMessage(), null, null);
    }
    return result.getValues(index);
  }

  /** True when access {@code index} failed. */
  public boolean failed(int index) {
    return errorAt[index] != null;
  }

  /** The error of access {@code index}, or null. */
  public AccessError error(int index) {
    return errorAt[index];
  }

  /** Every failed access, in index order. */
  public List<AccessError> errors() {
    return result.getErrorsList();
  }

  public boolean ok() {
    return result.getErrorsCount() == 0;
  }

  /** The batch id the server echoed. */
  public long id() {
    return result.getId();
  }
}
