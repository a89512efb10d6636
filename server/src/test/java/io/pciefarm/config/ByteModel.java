package io.pciefarm.config;

/**
 * An independent oracle: the QEMU per-byte model of section 1 of the reference, written byte by
 * byte (the engine works a dword at a time). For each byte the access covers:
 * {@code cfg = (cfg & ~wmask) | (val & wmask); cfg &= ~(val & w1cmask)}. Masks and defaults are
 * read from a {@link ConfigLayout} once, at construction, and then kept as plain byte arrays.
 */
final class ByteModel {
  final int size;
  final byte[] cfg;
  final byte[] reset;
  final byte[] wmask;
  final byte[] w1cmask;
  final byte[] sticky;

  ByteModel(ConfigLayout layout) {
    size = layout.size();
    cfg = new byte[size];
    reset = new byte[size];
    wmask = new byte[size];
    w1cmask = new byte[size];
    sticky = new byte[size];
    for (int i = 0; i < size / 4; i++) {
      for (int b = 0; b < 4; b++) {
        int shift = b * 8;
        reset[i * 4 + b] = (byte) (layout.defaultDword(i) >>> shift);
        wmask[i * 4 + b] = (byte) (layout.wmask(i) >>> shift);
        w1cmask[i * 4 + b] = (byte) (layout.w1cmask(i) >>> shift);
        sticky[i * 4 + b] = (byte) (layout.stickyMask(i) >>> shift);
      }
    }
    System.arraycopy(reset, 0, cfg, 0, size);
  }

  int read(int offset, int width) {
    if (offset >= size) {
      return 0;
    }
    int v = 0;
    for (int b = 0; b < width; b++) {
      v |= (cfg[offset + b] & 0xFF) << (8 * b);
    }
    return v;
  }

  void write(int offset, int width, int value) {
    if (offset >= size) {
      return;
    }
    for (int b = 0; b < width; b++) {
      int i = offset + b;
      int val = (value >>> (8 * b)) & 0xFF;
      int c = cfg[i] & 0xFF;
      c = (c & ~wmask[i]) | (val & wmask[i]);
      c &= ~(val & w1cmask[i]);
      cfg[i] = (byte) c;
    }
  }

  void hardwareUpdate(int offset, int width, int clear, int set) {
    for (int b = 0; b < width; b++) {
      int i = offset + b;
      int c = cfg[i] & 0xFF;
      c = (c & ~(clear >>> (8 * b))) | ((set >>> (8 * b)) & 0xFF);
      cfg[i] = (byte) c;
    }
  }

  void strap(int offset, int width, int value) {
    for (int b = 0; b < width; b++) {
      reset[offset + b] = (byte) (value >>> (8 * b));
      cfg[offset + b] = (byte) (value >>> (8 * b));
    }
  }

  void reset(boolean keepSticky) {
    for (int i = 0; i < size; i++) {
      cfg[i] = keepSticky ? (byte) ((reset[i] & ~sticky[i]) | (cfg[i] & sticky[i])) : reset[i];
    }
  }
}
