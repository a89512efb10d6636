package io.pciefarm.cli;

import io.pciefarm.proto.v1.FunctionInfo;

/**
 * pciutils' device selection: {@code -s [[[[DOMAIN]:]BUS]:][SLOT][.[FUNC]]} and
 * {@code -d [VENDOR]:[DEVICE]}, hex numbers, an omitted or {@code *} part matching anything.
 * A filter combines both; the default matches every function.
 */
final class DeviceFilter {
  private int domain = -1;
  private int bus = -1;
  private int slot = -1;
  private int func = -1;
  private int vendor = -1;
  private int device = -1;
  private String text = "";

  /** @throws IllegalArgumentException saying which part is wrong */
  void slot(String s) {
    String left = s;
    int dot = s.indexOf('.');
    if (dot >= 0) {
      func = part(s.substring(dot + 1), 7, "function", s);
      left = s.substring(0, dot);
    }
    String[] parts = left.split(":", -1);
    if (parts.length > 3) {
      throw new IllegalArgumentException("'" + s
          + "' is not a slot: expected [[[DOMAIN]:]BUS]:][SLOT][.[FUNC]], e.g. 01:00.0");
    }
    int i = parts.length - 1;
    slot = part(parts[i], 0x1f, "slot", s);
    if (i >= 1) {
      bus = part(parts[i - 1], 0xff, "bus", s);
    }
    if (i >= 2) {
      domain = part(parts[i - 2], 0xffff, "domain", s);
    }
    text = (text.isEmpty() ? "" : text + " ") + "-s " + s;
  }

  /** {@code [VENDOR]:[DEVICE]}. */
  void id(String s) {
    String[] parts = s.split(":", -1);
    if (parts.length < 2 || parts.length > 3) {
      throw new IllegalArgumentException("'" + s
          + "' is not a device ID filter: expected [VENDOR]:[DEVICE], e.g. 10de:");
    }
    vendor = part(parts[0], 0xffff, "vendor", s);
    device = part(parts[1], 0xffff, "device", s);
    text = (text.isEmpty() ? "" : text + " ") + "-d " + s;
  }

  private static int part(String p, int max, String what, String whole) {
    if (p.isEmpty() || p.equals("*")) {
      return -1;
    }
    int v;
    try {
      v = Integer.parseInt(p, 16);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + p + "' in '" + whole + "' is not a hex " + what
          + " number");
    }
    if (v < 0 || v > max) {
      throw new IllegalArgumentException(String.format("%s %s in '%s' is outside 0..%x", what,
          p, whole, max));
    }
    return v;
  }

  boolean matches(FunctionInfo f) {
    if (!f.getReachable()) {
      return false;
    }
    int packed = f.getPackedAddress();
    return (domain < 0 || domain == packed >>> 16)
        && (bus < 0 || bus == ((packed >>> 8) & 0xff))
        && (slot < 0 || slot == ((packed >>> 3) & 0x1f))
        && (func < 0 || func == (packed & 7))
        && (vendor < 0 || vendor == f.getVendorId())
        && (device < 0 || device == f.getDeviceId());
  }

  /** True when it names one function exactly (every part given). */
  boolean single() {
    return domain >= 0 && bus >= 0 && slot >= 0 && func >= 0;
  }

  @Override
  public String toString() {
    return text.isEmpty() ? "(all)" : text;
  }
}
