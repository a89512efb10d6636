package io.pciefarm.spec;

/** Offsets and bits of the extended capabilities the farm implements (AER, DSN, ACS, ARI, SR-IOV). */
public final class ExtendedCapabilities {
  private ExtendedCapabilities() {}

  /** Extended capability header: ID 15:0, version 19:16, next pointer 31:20. */
  public static int header(int id, int version, int next) {
    return (id & 0xFFFF) | ((version & 0xF) << 16) | ((next & 0xFFF) << 20);
  }

  public static int headerId(int header) {
    return header & 0xFFFF;
  }

  public static int headerVersion(int header) {
    return (header >>> 16) & 0xF;
  }

  public static int headerNext(int header) {
    return header >>> 20;
  }

  /** Advanced Error Reporting (0001h), version 2 layout. */
  public static final int AER_LENGTH = 0x48;
  public static final int AER_ROOT_PORT_LENGTH = 0x48;
  public static final int AER_ENDPOINT_LENGTH = 0x2C;
  public static final int AER_UNCOR_STATUS = 0x04;
  public static final int AER_UNCOR_MASK = 0x08;
  public static final int AER_UNCOR_SEVERITY = 0x0C;
  public static final int AER_COR_STATUS = 0x10;
  public static final int AER_COR_MASK = 0x14;
  public static final int AER_CAP_CONTROL = 0x18;
  public static final int AER_HEADER_LOG = 0x1C;
  public static final int AER_ROOT_COMMAND = 0x2C;
  public static final int AER_ROOT_STATUS = 0x30;
  public static final int AER_ERROR_SOURCE = 0x34;
  /** Uncorrectable error bits defined by PCIe 2.0/3.0 (bit 4 DLP .. bit 20 UR, 21 ACS, ...). */
  public static final int AER_UNCOR_DEFINED = 0x003FF030;
  /** Severity default: DLP, SDES, FCP, Malformed TLP fatal. */
  public static final int AER_UNCOR_SEVERITY_DEFAULT = 0x00062030;
  public static final int AER_COR_DEFINED = 0x000031C1 | (1 << 13) | (1 << 14) | (1 << 15);
  /** Advisory Non-Fatal error, masked by default. */
  public static final int AER_COR_ADV_NONFATAL = 1 << 13;
  public static final int AER_CAP_ECRC_GEN_CAPABLE = 1 << 5;
  public static final int AER_CAP_ECRC_GEN_ENABLE = 1 << 6;
  public static final int AER_CAP_ECRC_CHECK_CAPABLE = 1 << 7;
  public static final int AER_CAP_ECRC_CHECK_ENABLE = 1 << 8;
  public static final int AER_ROOT_STATUS_RW1C = 0x7F;

  /** Device Serial Number (0003h). */
  public static final int DSN_LENGTH = 0x0C;
  public static final int DSN_SERIAL_LO = 0x04;
  public static final int DSN_SERIAL_HI = 0x08;

  /** Access Control Services (000Dh). */
  public static final int ACS_LENGTH = 0x08;
  public static final int ACS_CAPABILITY = 0x04;
  public static final int ACS_CONTROL = 0x06;
  public static final int ACS_SV = 1 << 0;
  public static final int ACS_TB = 1 << 1;
  public static final int ACS_RR = 1 << 2;
  public static final int ACS_CR = 1 << 3;
  public static final int ACS_UF = 1 << 4;
  public static final int ACS_EC = 1 << 5;
  public static final int ACS_DT = 1 << 6;
  /** The controls Linux requires for isolation (REQ_ACS_FLAGS in drivers/iommu/iommu.c). */
  public static final int ACS_ISOLATION = ACS_SV | ACS_RR | ACS_CR | ACS_UF;

  /** Alternative Routing-ID Interpretation (000Eh). */
  public static final int ARI_LENGTH = 0x08;
  public static final int ARI_CAPABILITY = 0x04;
  public static final int ARI_CONTROL = 0x06;
  public static final int ARI_NEXT_FUNCTION_SHIFT = 8;

  /** Single Root I/O Virtualization (0010h). */
  public static final int SRIOV_LENGTH = 0x40;
  public static final int SRIOV_CAPABILITIES = 0x04;
  public static final int SRIOV_CONTROL = 0x08;
  public static final int SRIOV_STATUS = 0x0A;
  public static final int SRIOV_INITIAL_VFS = 0x0C;
  public static final int SRIOV_TOTAL_VFS = 0x0E;
  public static final int SRIOV_NUM_VFS = 0x10;
  public static final int SRIOV_FUNCTION_LINK = 0x12;
  public static final int SRIOV_VF_OFFSET = 0x14;
  public static final int SRIOV_VF_STRIDE = 0x16;
  public static final int SRIOV_VF_DEVICE_ID = 0x1A;
  public static final int SRIOV_SUPPORTED_PAGE_SIZES = 0x1C;
  public static final int SRIOV_SYSTEM_PAGE_SIZE = 0x20;
  public static final int SRIOV_BAR0 = 0x24;
  public static final int SRIOV_MIGRATION_STATE = 0x3C;
  public static final int SRIOV_CTRL_VFE = 1 << 0;
  public static final int SRIOV_CTRL_VFM = 1 << 1;
  public static final int SRIOV_CTRL_INTR = 1 << 2;
  public static final int SRIOV_CTRL_MSE = 1 << 3;
  public static final int SRIOV_CTRL_ARI = 1 << 4;

  /** AER: further fields. */
  public static final int AER_HEADER_LOG_DWORDS = 4;
  /** TLP Prefix Log (38h..47h) in the root port length; only with End-End TLP Prefix support. */
  public static final int AER_TLP_PREFIX_LOG = 0x38;
  /** Corrected Internal Error (bit 14) and Header Log Overflow (bit 15): masked by default. */
  public static final int AER_COR_INTERNAL = 1 << 14;
  public static final int AER_COR_HEADER_LOG_OVERFLOW = 1 << 15;
  public static final int AER_COR_MASK_DEFAULT = AER_COR_ADV_NONFATAL | AER_COR_INTERNAL
      | AER_COR_HEADER_LOG_OVERFLOW;
  public static final int AER_CAP_FIRST_ERROR_POINTER_MASK = 0x1F;
  public static final int AER_CAP_MULTI_HEADER_CAPABLE = 1 << 9;
  public static final int AER_CAP_MULTI_HEADER_ENABLE = 1 << 10;
  /** Root Error Command: correctable, non-fatal, fatal reporting enables. */
  public static final int AER_ROOT_CMD_COR_EN = 1 << 0;
  public static final int AER_ROOT_CMD_NONFATAL_EN = 1 << 1;
  public static final int AER_ROOT_CMD_FATAL_EN = 1 << 2;
  public static final int AER_ROOT_CMD_MASK = 0x7;
  /** Root Error Status: Advanced Error Interrupt Message Number in bits 31:27. */
  public static final int AER_ROOT_STATUS_IRQ_SHIFT = 27;

  /** ACS: Egress Control Vector Size (bits 15:8 of the capability word; 0 means 256). */
  public static final int ACS_EGRESS_VECTOR_SIZE_SHIFT = 8;
  public static final int ACS_EGRESS_VECTOR_SIZE_MASK = 0xFF << 8;
  /** The seven capability/control bits defined before ACS Enhanced Capability. */
  public static final int ACS_CAPABILITY_BITS = 0x7F;
  public static final int ACS_EGRESS_VECTOR = 0x08;

  /** ARI: capability bits (MFVC and ACS function groups) and control fields. */
  public static final int ARI_CAP_MFVC = 1 << 0;
  public static final int ARI_CAP_ACS = 1 << 1;
  public static final int ARI_NEXT_FUNCTION_MASK = 0xFF << 8;
  public static final int ARI_CTRL_MFVC = 1 << 0;
  public static final int ARI_CTRL_ACS = 1 << 1;
  public static final int ARI_CTRL_FUNCTION_GROUP_MASK = 7 << 4;

  /** SR-IOV: further fields. */
  public static final int SRIOV_CAP_VF_MIGRATION = 1 << 0;
  public static final int SRIOV_CAP_ARI_PRESERVED = 1 << 1;
  public static final int SRIOV_CTRL_VF_10BIT_TAG = 1 << 5;
  public static final int SRIOV_STATUS_VF_MIGRATION = 1 << 0;
  public static final int SRIOV_VF_BAR_COUNT = 6;
  /** Page sizes every PF must support: 4K, 8K, 64K, 256K, 1M, 4M (bit n = 2^(n+12) bytes). */
  public static final int SRIOV_PAGE_SIZES_REQUIRED = 0x553;
  /** System Page Size reset value: 4 KiB. */
  public static final int SRIOV_PAGE_SIZE_4K = 0x1;
}
