package io.pciefarm.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.pciefarm.device.Catalog;
import io.pciefarm.spec.Header;
import org.junit.jupiter.api.Test;

/** A write that changes nothing must not cost a private copy of the chunk. */
class NoOpWriteTest {
  private final ConfigSpace c = new ConfigSpace(Catalog.get("nvme-ssd").function(0).layout());

  @Test
  void unchangedValuesCopyNothing() {
    c.write(Header.COMMAND, 2, 0);                          // RW written back unchanged
    c.write(Header.STATUS, 2, Header.STATUS_ERRORS_RW1C);   // RW1C clear of bits already clear
    c.write(Header.VENDOR_ID, 2, 0x1234);                   // read-only
    assertEquals(0, c.hardwareUpdate(Header.STATUS, 2, Header.STATUS_INTERRUPT, 0)
        & Header.STATUS_INTERRUPT);                         // hardware clear of a clear bit
    assertEquals(0, c.privateChunks());
    c.write(Header.COMMAND, 2, Header.COMMAND_MEMORY);
    assertEquals(1, c.privateChunks());
    assertEquals(Header.COMMAND_MEMORY, c.read(Header.COMMAND, 2));
  }

  @Test
  void clearOnlyAndSetOnlyUpdatesAreExact() {
    c.hardwareUpdate(Header.STATUS, 2, 0, Header.STATUS_SIG_TARGET_ABORT | Header.STATUS_REC_MASTER_ABORT);
    c.write(Header.STATUS, 2, Header.STATUS_SIG_TARGET_ABORT);
    assertEquals(Header.STATUS_REC_MASTER_ABORT | Header.STATUS_CAP_LIST,
        c.read(Header.STATUS, 2) & ~Header.STATUS_IMMEDIATE_READINESS);
  }
}
