package io.pciefarm.caps;

import io.pciefarm.config.Capability;
import io.pciefarm.config.LayoutBuilder;
import io.pciefarm.spec.CapabilityId;
import io.pciefarm.spec.ExtendedCapabilities;
import io.pciefarm.spec.PortType;

/**
 * Advanced Error Reporting extended capability (0001h), version 2. Error state is sticky: it
 * must survive the hot reset or FLR that often follows an error.
 *
 * <ul>
 *   <li>Uncorrectable Error Status (+4): RW1CS over the PCIe 2.0 errors (DLP, SDES, Poisoned TLP
 *       .. ACS Violation); Uncorrectable Error Mask (+8) and Severity (+C): RWS over the same
 *       bits, severity resetting to DLP, SDES, FCP, Receiver Overflow and Malformed TLP fatal.
 *   <li>Correctable Error Status (+10): RW1CS; Correctable Error Mask (+14): RWS, resetting with
 *       Advisory Non-Fatal, Corrected Internal and Header Log Overflow masked.
 *   <li>Capabilities and Control (+18): First Error Pointer ROS; ECRC Generation/Check Capable
 *       RO and their Enables RWS when capable; no multiple header recording.
 *   <li>Header Log (+1C..+2B): ROS, written by the function when it logs an error.
 *   <li>Root ports and root complex event collectors add Root Error Command (+2C, bits 2:0 RW),
 *       Root Error Status (+30, bits 6:0 RW1CS, message number RO) and Error Source
 *       Identification (+34, ROS); their structure is 48h bytes with the TLP Prefix Log
 *       (+38..+47) reading 0, since no End-End TLP Prefixes are supported. Other functions end
 *       at 2Ch.
 * </ul>
 *
 * @param portType the function's port type: decides the root registers
 * @param ecrcGeneration ECRC Generation Capable, making ECRC Generation Enable RWS
 * @param ecrcCheck ECRC Check Capable, making ECRC Check Enable RWS
 */
public record AerCapability(PortType portType, boolean ecrcGeneration, boolean ecrcCheck)
    implements Capability {

  public AerCapability {
    if (portType == null) {
      throw new IllegalArgumentException("port type is required");
    }
  }

  /** AER for a function of {@code type}, ECRC generation and checking capable. */
  public static AerCapability forPortType(PortType type) {
    return new AerCapability(type, true, true);
  }

  /** This capability with other ECRC capabilities. */
  public AerCapability withEcrc(boolean generation, boolean check) {
    return new AerCapability(portType, generation, check);
  }

  /** True when the structure has Root Error Command/Status and Error Source Identification. */
  public boolean hasRootRegisters() {
    return portType == PortType.ROOT_PORT || portType == PortType.RC_EVENT_COLLECTOR;
  }

  @Override
  public int id() {
    return CapabilityId.EXT_AER;
  }

  @Override
  public boolean extended() {
    return true;
  }

  @Override
  public int version() {
    return 2;
  }

  @Override
  public int length() {
    return hasRootRegisters() ? ExtendedCapabilities.AER_ROOT_PORT_LENGTH
        : ExtendedCapabilities.AER_ENDPOINT_LENGTH;
  }

  @Override
  public void install(LayoutBuilder layout, int base) {
    int uncor = ExtendedCapabilities.AER_UNCOR_DEFINED;
    stickyW1c(layout, base + ExtendedCapabilities.AER_UNCOR_STATUS, uncor);
    stickyRw(layout, base + ExtendedCapabilities.AER_UNCOR_MASK, uncor);
    int severity = base + ExtendedCapabilities.AER_UNCOR_SEVERITY;
    layout.value(severity, 4, ExtendedCapabilities.AER_UNCOR_SEVERITY_DEFAULT);
    stickyRw(layout, severity, uncor);

    int cor = ExtendedCapabilities.AER_COR_DEFINED;
    stickyW1c(layout, base + ExtendedCapabilities.AER_COR_STATUS, cor);
    int corMask = base + ExtendedCapabilities.AER_COR_MASK;
    layout.value(corMask, 4, ExtendedCapabilities.AER_COR_MASK_DEFAULT);
    stickyRw(layout, corMask, cor);

    int control = base + ExtendedCapabilities.AER_CAP_CONTROL;
    int capable = 0;
    int enables = 0;
    if (ecrcGeneration) {
      capable |= ExtendedCapabilities.AER_CAP_ECRC_GEN_CAPABLE;
      enables |= ExtendedCapabilities.AER_CAP_ECRC_GEN_ENABLE;
    }
    if (ecrcCheck) {
      capable |= ExtendedCapabilities.AER_CAP_ECRC_CHECK_CAPABLE;
      enables |= ExtendedCapabilities.AER_CAP_ECRC_CHECK_ENABLE;
    }
    layout.value(control, 4, capable);
    stickyRw(layout, control, enables);
    layout.sticky(control, 4, ExtendedCapabilities.AER_CAP_FIRST_ERROR_POINTER_MASK);

    for (int i = 0; i < ExtendedCapabilities.AER_HEADER_LOG_DWORDS; i++) {
      layout.sticky(base + ExtendedCapabilities.AER_HEADER_LOG + 4 * i, 4, -1);
    }

    if (hasRootRegisters()) {
      layout.rw(base + ExtendedCapabilities.AER_ROOT_COMMAND, 4,
          ExtendedCapabilities.AER_ROOT_CMD_MASK);
      stickyW1c(layout, base + ExtendedCapabilities.AER_ROOT_STATUS,
          ExtendedCapabilities.AER_ROOT_STATUS_RW1C);
      layout.sticky(base + ExtendedCapabilities.AER_ERROR_SOURCE, 4, -1);
    }
  }

  private static void stickyRw(LayoutBuilder layout, int offset, int bits) {
    layout.rw(offset, 4, bits);
    layout.sticky(offset, 4, bits);
  }

  private static void stickyW1c(LayoutBuilder layout, int offset, int bits) {
    layout.rw1c(offset, 4, bits);
    layout.sticky(offset, 4, bits);
  }
}
