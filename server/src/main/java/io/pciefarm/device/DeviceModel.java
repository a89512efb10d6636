package io.pciefarm.device;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A named device: one to eight functions sharing a device number, function 0 always present.
 * Multi-function devices get Header Type bit 7 in every function, as the spec requires.
 */
public final class DeviceModel {
  /** Catalog names: lower-case words joined by dashes, as a person types them. */
  private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile(
      "[a-z0-9]+(-[a-z0-9]+)*");

  private final String name;
  private final String summary;
  private final FunctionModel[] functions;
  /** Builds this port model with other Slot Capabilities, or null for a model without a slot. */
  private final java.util.function.Function<io.pciefarm.caps.SlotCapabilities, DeviceModel>
      slotVariant;
  private final java.util.Map<io.pciefarm.caps.SlotCapabilities, DeviceModel> variants =
      new java.util.concurrent.ConcurrentHashMap<>();

  private DeviceModel(String name, String summary, FunctionModel[] functions,
      java.util.function.Function<io.pciefarm.caps.SlotCapabilities, DeviceModel> slotVariant) {
    this.name = name;
    this.summary = summary;
    this.functions = functions;
    this.slotVariant = slotVariant;
  }

  /**
   * This port model with the slot a topology declares. Variants are built once per distinct
   * slot and shared, like every model.
   *
   * @throws IllegalArgumentException when the model has no slot to vary
   */
  public DeviceModel withSlot(io.pciefarm.caps.SlotCapabilities slot) {
    if (slotVariant == null) {
      throw new IllegalArgumentException("model '" + name + "' implements no slot");
    }
    return variants.computeIfAbsent(slot, slotVariant);
  }

  /** Starts a model named {@code name} (as topologies refer to it). */
  public static Builder named(String name) {
    return new Builder(name);
  }

  public String name() {
    return name;
  }

  /** One line saying what the model is for. */
  public String summary() {
    return summary;
  }

  /** The function at {@code number} (0..7), or null when the device does not implement it. */
  public FunctionModel function(int number) {
    return number >= 0 && number < functions.length ? functions[number] : null;
  }

  /** Implemented function numbers, ascending. */
  public List<Integer> functionNumbers() {
    List<Integer> out = new ArrayList<>();
    for (int f = 0; f < functions.length; f++) {
      if (functions[f] != null) {
        out.add(f);
      }
    }
    return Collections.unmodifiableList(out);
  }

  public boolean isMultiFunction() {
    return functionNumbers().size() > 1;
  }

  @Override
  public String toString() {
    return name;
  }

  /** Declares a device function by function. */
  public static final class Builder {
    private final String name;
    private String summary = "";
    private final FunctionModel.Spec[] specs = new FunctionModel.Spec[8];
    private java.util.function.Function<io.pciefarm.caps.SlotCapabilities, DeviceModel> slotVariant;

    private Builder(String name) {
      if (name == null || !NAME.matcher(name).matches()) {
        throw new IllegalArgumentException("model name '" + name
            + "' must be lower-case words joined by dashes");
      }
      this.name = name;
    }

    public Builder summary(String summary) {
      this.summary = Objects.requireNonNull(summary);
      return this;
    }

    /** How to build this model with other Slot Capabilities (ports with a slot). */
    public Builder slotVariant(
        java.util.function.Function<io.pciefarm.caps.SlotCapabilities, DeviceModel> variant) {
      this.slotVariant = variant;
      return this;
    }

    public Builder function(int number, FunctionModel.Spec spec) {
      if (number < 0 || number > 7) {
        throw new IllegalArgumentException(name + ": function number " + number
            + " is outside 0..7");
      }
      if (specs[number] != null) {
        throw new IllegalArgumentException(name + ": function " + number + " declared twice");
      }
      specs[number] = Objects.requireNonNull(spec);
      return this;
    }

    public DeviceModel build() {
      if (specs[0] == null) {
        throw new IllegalArgumentException(name + ": function 0 is required");
      }
      int count = 0;
      for (FunctionModel.Spec s : specs) {
        count += s == null ? 0 : 1;
      }
      FunctionModel[] built = new FunctionModel[8];
      for (int f = 0; f < 8; f++) {
        if (specs[f] != null) {
          built[f] = specs[f].build(count > 1);
        }
      }
      return new DeviceModel(name, summary, built, slotVariant);
    }
  }
}
