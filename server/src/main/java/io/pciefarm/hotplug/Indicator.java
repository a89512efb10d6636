package io.pciefarm.hotplug;

/** An attention or power indicator, as Slot Control encodes it in two bits. */
public enum Indicator {
  RESERVED,
  ON,
  BLINK,
  OFF;

  static Indicator decode(int twoBits) {
    return values()[twoBits & 3];
  }
}
