package io.pciefarm.topology;

/**
 * The function answered Configuration Request Retry Status and software visibility is off (or
 * the access is not a Vendor ID read): the requester must retry. A singleton without a stack
 * trace, so a config path that sees it allocates nothing.
 */
public final class ConfigRetryException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** The one instance. */
  public static final ConfigRetryException INSTANCE = new ConfigRetryException();

  private ConfigRetryException() {
    super("the function is not ready (Configuration Request Retry Status): retry the access",
        null, false, false);
  }
}
