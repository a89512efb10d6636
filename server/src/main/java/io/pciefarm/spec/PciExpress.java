package io.pciefarm.spec;

/** PCI Express capability (ID 10h), version 2: register offsets from the capability and bits. */
public final class PciExpress {
  private PciExpress() {}

  /** Length of a version 2 capability. */
  public static final int LENGTH_V2 = 0x3C;

  public static final int CAPABILITIES = 0x02;
  public static final int DEVICE_CAPABILITIES = 0x04;
  public static final int DEVICE_CONTROL = 0x08;
  public static final int DEVICE_STATUS = 0x0A;
  public static final int LINK_CAPABILITIES = 0x0C;
  public static final int LINK_CONTROL = 0x10;
  public static final int LINK_STATUS = 0x12;
  public static final int SLOT_CAPABILITIES = 0x14;
  public static final int SLOT_CONTROL = 0x18;
  public static final int SLOT_STATUS = 0x1A;
  public static final int ROOT_CONTROL = 0x1C;
  public static final int ROOT_CAPABILITIES = 0x1E;
  public static final int ROOT_STATUS = 0x20;
  public static final int DEVICE_CAPABILITIES_2 = 0x24;
  public static final int DEVICE_CONTROL_2 = 0x28;
  public static final int DEVICE_STATUS_2 = 0x2A;
  public static final int LINK_CAPABILITIES_2 = 0x2C;
  public static final int LINK_CONTROL_2 = 0x30;
  public static final int LINK_STATUS_2 = 0x32;
  public static final int SLOT_CAPABILITIES_2 = 0x34;
  public static final int SLOT_CONTROL_2 = 0x38;
  public static final int SLOT_STATUS_2 = 0x3A;

  /** PCI Express Capabilities register. */
  public static final int CAP_VERSION_2 = 0x2;
  public static final int CAP_PORT_TYPE_SHIFT = 4;
  public static final int CAP_SLOT_IMPLEMENTED = 1 << 8;
  /** Interrupt Message Number: the MSI/MSI-X vector of the capability's own interrupts. */
  public static final int CAP_IRQ_SHIFT = 9;
  /**
   * Interrupt Message Number (13:9): the MSI vector offset, or MSI-X table entry, a port's
   * hot-plug and PME interrupts use.
   */
  public static final int CAP_IRQ_MASK = 0x1F << CAP_IRQ_SHIFT;

  /** Device Capabilities. */
  public static final int DEVCAP_PAYLOAD_256 = 0x1;
  public static final int DEVCAP_EXT_TAG = 1 << 5;
  public static final int DEVCAP_RBER = 1 << 15;
  public static final int DEVCAP_FLR = 1 << 28;

  /** Device Control. */
  public static final int DEVCTL_CERE = 1 << 0;
  public static final int DEVCTL_NFERE = 1 << 1;
  public static final int DEVCTL_FERE = 1 << 2;
  public static final int DEVCTL_URRE = 1 << 3;
  public static final int DEVCTL_RELAX_EN = 1 << 4;
  public static final int DEVCTL_PAYLOAD_MASK = 7 << 5;
  public static final int DEVCTL_EXT_TAG = 1 << 8;
  public static final int DEVCTL_PHANTOM = 1 << 9;
  public static final int DEVCTL_AUX_PME = 1 << 10;
  public static final int DEVCTL_NOSNOOP_EN = 1 << 11;
  public static final int DEVCTL_READRQ_MASK = 7 << 12;
  /** Bridge Configuration Retry Enable on PCIe-to-PCI bridges; Initiate FLR on endpoints. */
  public static final int DEVCTL_BCR_FLR = 1 << 15;

  /** Device Status: four RW1C error bits, AUX power, Transactions Pending. */
  public static final int DEVSTA_CED = 1 << 0;
  public static final int DEVSTA_NFED = 1 << 1;
  public static final int DEVSTA_FED = 1 << 2;
  public static final int DEVSTA_URD = 1 << 3;
  public static final int DEVSTA_ERRORS_RW1C = 0x000F;
  public static final int DEVSTA_AUXPD = 1 << 4;
  public static final int DEVSTA_TRPND = 1 << 5;

  /** Link Capabilities. */
  public static final int LNKCAP_SPEED_MASK = 0xF;
  public static final int LNKCAP_WIDTH_SHIFT = 4;
  public static final int LNKCAP_ASPM_L0S_L1 = 3 << 10;
  public static final int LNKCAP_SURPRISE_DOWN = 1 << 19;
  public static final int LNKCAP_DLL_ACTIVE_REPORTING = 1 << 20;
  public static final int LNKCAP_LINK_BW_NOTIFICATION = 1 << 21;
  public static final int LNKCAP_PORT_NUMBER_SHIFT = 24;

  /** Link Control. */
  public static final int LNKCTL_ASPM_MASK = 0x3;
  public static final int LNKCTL_RCB = 1 << 3;
  public static final int LNKCTL_LINK_DISABLE = 1 << 4;
  public static final int LNKCTL_RETRAIN = 1 << 5;
  public static final int LNKCTL_COMMON_CLOCK = 1 << 6;
  public static final int LNKCTL_EXTENDED_SYNCH = 1 << 7;
  public static final int LNKCTL_CLOCK_PM = 1 << 8;
  public static final int LNKCTL_HAWD = 1 << 9;
  public static final int LNKCTL_LBMIE = 1 << 10;
  public static final int LNKCTL_LABIE = 1 << 11;

  /** Link Status. */
  public static final int LNKSTA_SPEED_MASK = 0xF;
  public static final int LNKSTA_WIDTH_SHIFT = 4;
  public static final int LNKSTA_TRAINING = 1 << 11;
  public static final int LNKSTA_SLOT_CLOCK = 1 << 12;
  public static final int LNKSTA_DLL_LINK_ACTIVE = 1 << 13;
  public static final int LNKSTA_LBMS = 1 << 14;
  public static final int LNKSTA_LABS = 1 << 15;

  /** Slot Capabilities. */
  public static final int SLTCAP_ABP = 1 << 0;
  public static final int SLTCAP_PCP = 1 << 1;
  public static final int SLTCAP_MRLSP = 1 << 2;
  public static final int SLTCAP_AIP = 1 << 3;
  public static final int SLTCAP_PIP = 1 << 4;
  public static final int SLTCAP_HPS = 1 << 5;
  public static final int SLTCAP_HPC = 1 << 6;
  public static final int SLTCAP_EIP = 1 << 17;
  public static final int SLTCAP_NCCS = 1 << 18;
  public static final int SLTCAP_PSN_SHIFT = 19;
  public static final int SLTCAP_PSN_MAX = 0x1FFF;

  /** Slot Control. */
  public static final int SLTCTL_ABPE = 1 << 0;
  public static final int SLTCTL_PFDE = 1 << 1;
  public static final int SLTCTL_MRLSCE = 1 << 2;
  public static final int SLTCTL_PDCE = 1 << 3;
  public static final int SLTCTL_CCIE = 1 << 4;
  public static final int SLTCTL_HPIE = 1 << 5;
  public static final int SLTCTL_AIC_MASK = 3 << 6;
  public static final int SLTCTL_PIC_MASK = 3 << 8;
  public static final int SLTCTL_PCC = 1 << 10;
  public static final int SLTCTL_EIC = 1 << 11;
  public static final int SLTCTL_DLLSCE = 1 << 12;
  /** Indicator encodings (shifted into place by the caller): 01 on, 10 blink, 11 off. */
  public static final int INDICATOR_ON = 1;
  public static final int INDICATOR_BLINK = 2;
  public static final int INDICATOR_OFF = 3;
  public static final int SLTCTL_AIC_SHIFT = 6;
  public static final int SLTCTL_PIC_SHIFT = 8;

  /** Slot Status. */
  public static final int SLTSTA_ABP = 1 << 0;
  public static final int SLTSTA_PFD = 1 << 1;
  public static final int SLTSTA_MRLSC = 1 << 2;
  public static final int SLTSTA_PDC = 1 << 3;
  public static final int SLTSTA_CC = 1 << 4;
  public static final int SLTSTA_MRLSS = 1 << 5;
  public static final int SLTSTA_PDS = 1 << 6;
  public static final int SLTSTA_EIS = 1 << 7;
  public static final int SLTSTA_DLLSC = 1 << 8;
  /** Every Slot Status bit software clears by writing 1. */
  public static final int SLTSTA_EVENTS_RW1C = SLTSTA_ABP | SLTSTA_PFD | SLTSTA_MRLSC | SLTSTA_PDC
      | SLTSTA_CC | SLTSTA_DLLSC;

  /** Root Control / Capabilities / Status. */
  public static final int RTCTL_SECEE = 1 << 0;
  public static final int RTCTL_SENFEE = 1 << 1;
  public static final int RTCTL_SEFEE = 1 << 2;
  public static final int RTCTL_PMEIE = 1 << 3;
  public static final int RTCTL_RRS_SVE = 1 << 4;
  public static final int RTCAP_RRS_SV = 1 << 0;
  public static final int RTSTA_PME = 1 << 16;
  public static final int RTSTA_PME_PENDING = 1 << 17;

  /** Device Capabilities 2 / Control 2. */
  public static final int DEVCAP2_COMPLETION_TIMEOUT_RANGES = 0xF;
  public static final int DEVCAP2_COMPLETION_TIMEOUT_DISABLE = 1 << 4;
  public static final int DEVCAP2_ARI = 1 << 5;
  public static final int DEVCTL2_COMPLETION_TIMEOUT_MASK = 0xF;
  public static final int DEVCTL2_COMPLETION_TIMEOUT_DISABLE = 1 << 4;
  public static final int DEVCTL2_ARI = 1 << 5;

  /** Link Capabilities 2 / Control 2. */
  public static final int LNKCAP2_SPEEDS_SHIFT = 1;
  public static final int LNKCTL2_TARGET_SPEED_MASK = 0xF;

  /** Link speed encodings (Max/Current Link Speed, Target Link Speed). */
  public static final int LINK_SPEED_2_5GT = 1;
  public static final int LINK_SPEED_5GT = 2;
  public static final int LINK_SPEED_8GT = 3;
  public static final int LINK_SPEED_16GT = 4;
  public static final int LINK_SPEED_32GT = 5;

  /** Device Capabilities, further fields. */
  public static final int DEVCAP_PAYLOAD_MASK = 0x7;
  public static final int DEVCAP_PHANTOM_MASK = 3 << 3;
  public static final int DEVCAP_L0S_ACCEPTABLE_SHIFT = 6;
  public static final int DEVCAP_L1_ACCEPTABLE_SHIFT = 9;
  /** Endpoint L0s/L1 Acceptable Latency encoding for "no limit". */
  public static final int DEVCAP_ACCEPTABLE_LATENCY_UNLIMITED = 0x7;

  /** Device Control field shifts and defaults. */
  public static final int DEVCTL_PAYLOAD_SHIFT = 5;
  public static final int DEVCTL_READRQ_SHIFT = 12;
  /** Max_Read_Request_Size reset value: 010b, 512 bytes. */
  public static final int DEVCTL_READRQ_512 = 2 << 12;

  /** Link Capabilities, further fields. */
  public static final int LNKCAP_WIDTH_MASK = 0x3F << 4;
  public static final int LNKCAP_ASPM_MASK = 3 << 10;
  public static final int LNKCAP_CLOCK_PM = 1 << 18;
  public static final int LNKCAP_ASPM_OPTIONALITY = 1 << 22;
  public static final int LNKCAP_PORT_NUMBER_MASK = 0xFF << 24;

  /** Link Status width field. */
  public static final int LNKSTA_WIDTH_MASK = 0x3F << 4;

  /** Slot Control indicator values in place. */
  public static final int SLTCTL_AIC_OFF = INDICATOR_OFF << SLTCTL_AIC_SHIFT;
  public static final int SLTCTL_PIC_OFF = INDICATOR_OFF << SLTCTL_PIC_SHIFT;

  /** Root Status: requester ID of the last PME. */
  public static final int RTSTA_PME_REQUESTER_MASK = 0xFFFF;

  /** Device Capabilities 2: Completion Timeout Ranges A (50 us - 10 ms) and B (10 - 250 ms). */
  public static final int DEVCAP2_COMPLETION_TIMEOUT_RANGE_A = 1 << 0;
  public static final int DEVCAP2_COMPLETION_TIMEOUT_RANGE_B = 1 << 1;

  /** Link Capabilities 2: Supported Link Speeds vector, bit 1 = 2.5 GT/s .. bit 7. */
  public static final int LNKCAP2_SPEEDS_MASK = 0x7F << 1;

  /** Link Control 2 (all RWS but Selectable De-emphasis, which is HwInit). */
  public static final int LNKCTL2_ENTER_COMPLIANCE = 1 << 4;
  public static final int LNKCTL2_HW_AUTONOMOUS_SPEED_DISABLE = 1 << 5;
  public static final int LNKCTL2_SELECTABLE_DEEMPHASIS = 1 << 6;
  public static final int LNKCTL2_TRANSMIT_MARGIN_MASK = 7 << 7;
  public static final int LNKCTL2_ENTER_MODIFIED_COMPLIANCE = 1 << 10;
  public static final int LNKCTL2_COMPLIANCE_SOS = 1 << 11;
  public static final int LNKCTL2_COMPLIANCE_PRESET_MASK = 0xF << 12;

  /** Link Status 2: Link Equalization Request 8.0 GT/s (RW1CS). */
  public static final int LNKSTA2_EQUALIZATION_REQUEST = 1 << 5;
}
