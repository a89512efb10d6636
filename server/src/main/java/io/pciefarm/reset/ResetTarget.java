package io.pciefarm.reset;

import io.pciefarm.topology.PciAddress;

/** What a reset request is aimed at. */
public sealed interface ResetTarget {
  /** One function. */
  record Function(PciAddress address) implements ResetTarget {
    @Override
    public String toString() {
      return "function " + address;
    }
  }

  /** Every function of the device at {@code address} (its function number is ignored). */
  record Device(PciAddress address) implements ResetTarget {
    @Override
    public String toString() {
      return String.format("device %04x:%02x:%02x", address.segment(), address.bus(),
          address.device());
    }
  }

  /** The hot-plug slot with this physical slot number in the hierarchy. */
  record Slot(int number) implements ResetTarget {
    @Override
    public String toString() {
      return "slot " + number;
    }
  }

  /** The bus reached at {@code number}: a reset of it is a secondary bus reset of its bridge. */
  record Bus(int number) implements ResetTarget {
    @Override
    public String toString() {
      return String.format("bus %02x", number);
    }
  }
}
