package io.pciefarm.client;

import com.google.rpc.PreconditionFailure;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.ArrayList;
import java.util.List;

/**
 * A call the server refused or that could not be made: the gRPC status code and the server's
 * message, which is written for people.
 */
public final class PcieFarmException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final Status.Code code;
  private final transient com.google.rpc.Status details;

  PcieFarmException(Status.Code code, String message, com.google.rpc.Status details,
      Throwable cause) {
    super(message, cause);
    this.code = code;
    this.details = details;
  }

  static PcieFarmException of(StatusRuntimeException e, String what) {
    Status s = e.getStatus();
    String message = s.getDescription() != null ? s.getDescription()
        : s.getCause() != null ? String.valueOf(s.getCause().getMessage()) : s.getCode().name();
    if (s.getCode() == Status.Code.UNAVAILABLE || s.getCode() == Status.Code.DEADLINE_EXCEEDED) {
      // gRPC's own text ("io exception") says less than the cause ("Connection refused").
      Throwable root = s.getCause();
      while (root != null && root.getCause() != null) {
        root = root.getCause();
      }
      if (root != null && root.getMessage() != null) {
        // Netty's native text, "finishConnect(..) failed with error(-111): Connection refused",
        // keeps only its last part.
        message = root.getMessage().replaceFirst("^.*failed with error\\(-?\\d+\\): ", "");
      }
      message = what + ": " + message;
    }
    return new PcieFarmException(s.getCode(), message, StatusProto.fromThrowable(e), e);
  }

  /** The gRPC status code, e.g. NOT_FOUND. */
  public Status.Code code() {
    return code;
  }

  /**
   * The subjects (function addresses) of a FAILED_PRECONDITION's PreconditionFailure detail:
   * the functions that blocked the request. Empty when there are none.
   */
  public List<String> blockingFunctions() {
    List<String> out = new ArrayList<>();
    if (details != null) {
      for (com.google.protobuf.Any any : details.getDetailsList()) {
        if (any.is(PreconditionFailure.class)) {
          try {
            for (PreconditionFailure.Violation v : any.unpack(PreconditionFailure.class)
                .getViolationsList()) {
              out.add(v.getSubject());
            }
          } catch (com.google.protobuf.InvalidProtocolBufferException ignored) {
            // a detail we cannot read is not worth hiding the status for
          }
        }
      }
    }
    return out;
  }

  /** The request fields named by a BadRequest detail (e.g. "offset"), in order. */
  public List<String> badFields() {
    List<String> out = new ArrayList<>();
    if (details != null) {
      for (com.google.protobuf.Any any : details.getDetailsList()) {
        if (any.is(com.google.rpc.BadRequest.class)) {
          try {
            for (com.google.rpc.BadRequest.FieldViolation v : any.unpack(
                com.google.rpc.BadRequest.class).getFieldViolationsList()) {
              out.add(v.getField());
            }
          } catch (com.google.protobuf.InvalidProtocolBufferException ignored) {
            // see above
          }
        }
      }
    }
    return out;
  }
}
