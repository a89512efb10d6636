package io.pciefarm.client;

/**
 * One function's config space. Reads of a function that is not there return all ones, as on
 * hardware. Reads are retried on UNAVAILABLE; writes are too, with one request id, so the
 * server applies each once. Writing and resetting need the function to be held by a lease of
 * the caller's tenant (or, for the host's pool, an administrator's token): PERMISSION_DENIED for
 * a write, FAILED_PRECONDITION for a reset otherwise. No lease id is sent: any lease of the
 * tenant counts.
 */
public final class FunctionHandle {
  private final PcieFarmClient client;
  private final Address address;

  FunctionHandle(PcieFarmClient client, Address address) {
    this.client = client;
    this.address = address;
  }

  public Address address() {
    return address;
  }

  public int readByte(int offset) {
    return client.read(address, offset, 1);
  }

  public int readWord(int offset) {
    return client.read(address, offset, 2);
  }

  public int readDword(int offset) {
    return client.read(address, offset, 4);
  }

  /** A read of {@code width} (1, 2 or 4) bytes. */
  public int read(int offset, int width) {
    return client.read(address, offset, width);
  }

  /** @return true when the function was there to receive it */
  public boolean writeByte(int offset, int value) {
    return client.write(address, offset, 1, value);
  }

  public boolean writeWord(int offset, int value) {
    return client.write(address, offset, 2, value);
  }

  public boolean writeDword(int offset, int value) {
    return client.write(address, offset, 4, value);
  }

  public boolean write(int offset, int width, int value) {
    return client.write(address, offset, width, value);
  }

  // ---- reset methods (sysfs reset_method) ----

  /** Supported and enabled reset methods, as reading reset_method shows them. */
  public io.pciefarm.proto.v1.ResetMethods resetMethods() {
    return client.resetMethods(address);
  }

  /**
   * Enables these methods, in this order, as writing reset_method does; an empty list restores
   * the default.
   */
  public io.pciefarm.proto.v1.ResetMethods setResetMethods(
      java.util.List<io.pciefarm.proto.v1.ResetMethod> methods) {
    return client.setResetMethods(address, methods);
  }

  /** Disables resets of this function (an empty reset_method list). */
  public io.pciefarm.proto.v1.ResetMethods disableResets() {
    return client.disableResets(address);
  }

  /**
   * Resets this function with the allowed {@code methods} ({@link ResetSpec#methods(String)},
   * e.g. "flr" or "FUNC") and the defaults otherwise ({@link PcieFarmClient#reset}).
   */
  public io.pciefarm.proto.v1.ResetResponse reset(String methods) {
    return client.reset(ResetSpec.function(address.toString()).methods(methods));
  }

  @Override
  public String toString() {
    return address.toString();
  }
}
