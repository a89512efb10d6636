package io.pciefarm.config;

/**
 * Receives the writes that land on {@link HookedRegister hooked registers}, after the new value
 * is visible to readers. This is how the config space reports side effects instead of acting on
 * them: the listener (a function in a hierarchy) decides what a write means.
 *
 * <p>Called on the writer's thread, once per hooked register the access touched, even when the
 * stored value did not change (a Slot Control write is a command whatever it writes). Must not
 * block; long work is scheduled.
 */
@FunctionalInterface
public interface RegisterListener {
  /** A listener that ignores everything: the state of a function outside any hierarchy. */
  RegisterListener NONE = (space, register, oldValue, newValue, written) -> {};

  /**
   * @param space the function's config space
   * @param register the hooked register and where it lives
   * @param oldValue the register's value before the write (register width, zero-extended)
   * @param newValue the register's value after the write
   * @param written the bits the access wrote to this register, before masking; bytes of the
   *     register the access did not cover read as 0. Trigger bits (Initiate FLR) show up here
   *     and never in {@code newValue}.
   */
  void registerWritten(ConfigSpace space, HookedRegister register, int oldValue, int newValue,
      int written);
}
