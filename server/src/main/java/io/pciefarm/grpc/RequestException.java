package io.pciefarm.grpc;

import io.grpc.Status;

/**
 * A request the server refuses, with the status code and, for INVALID_ARGUMENT, the request
 * field at fault. Thrown by request validation; {@link Statuses} turns it into a status.
 */
final class RequestException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Status.Code code;
  private final String field;

  RequestException(Status.Code code, String field, String message) {
    super(message, null, false, false);
    this.code = code;
    this.field = field;
  }

  static RequestException invalid(String field, String message) {
    return new RequestException(Status.Code.INVALID_ARGUMENT, field, message);
  }

  static RequestException notFound(String message) {
    return new RequestException(Status.Code.NOT_FOUND, "", message);
  }

  Status.Code code() {
    return code;
  }

  /** The request field at fault (e.g. {@code "offset"}), or empty. */
  String field() {
    return field;
  }
}
