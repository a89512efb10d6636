package io.pciefarm.grpc;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.PreconditionFailure;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.pciefarm.config.ConfigAccessException;
import io.pciefarm.events.ResumeRejectedException;
import io.pciefarm.farm.FarmException;
import io.pciefarm.hotplug.HotPlugException;
import io.pciefarm.ownership.LeaseException;
import io.pciefarm.reset.ResetException;
import io.pciefarm.topology.ConfigRetryException;
import io.pciefarm.topology.TopologyException;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The one mapping from engine exceptions to gRPC statuses, so every service answers the same
 * mistake with the same code and a message a person can act on:
 *
 * <table>
 *   <caption>exception to status</caption>
 *   <tr><th>exception</th><th>status</th><th>details</th></tr>
 *   <tr><td>{@link RequestException}</td><td>its code</td><td>BadRequest for its field</td></tr>
 *   <tr><td>{@link ConfigAccessException}</td><td>INVALID_ARGUMENT</td>
 *       <td>BadRequest: {@code width} (BAD_WIDTH) or {@code offset}</td></tr>
 *   <tr><td>{@link TopologyException}</td><td>INVALID_ARGUMENT</td>
 *       <td>BadRequest: {@code spec.} + the place in the spec</td></tr>
 *   <tr><td>{@link FarmException}</td><td>NOT_FOUND, ALREADY_EXISTS, INVALID_ARGUMENT</td>
 *       <td>-</td></tr>
 *   <tr><td>{@link ConfigRetryException} (function not ready: Configuration Request Retry
 *       Status)</td><td>UNAVAILABLE: retry the access</td><td>-</td></tr>
 *   <tr><td>{@link ResetException}</td><td>BAD_TARGET: NOT_FOUND; NO_METHOD, ROOT_BUS,
 *       NOT_OWNER: FAILED_PRECONDITION; BUSY: ABORTED; DEADLINE_EXCEEDED</td>
 *       <td>PreconditionFailure (type NO_METHOD, ROOT_BUS or OWNERSHIP, one violation per
 *       blocking function); RetryInfo for BUSY</td></tr>
 *   <tr><td>{@link LeaseException}</td><td>NOT_FOUND; UNAVAILABLE_GROUP: FAILED_PRECONDITION;
 *       NOT_HOLDER: PERMISSION_DENIED; INVALID: INVALID_ARGUMENT; DEADLINE_EXCEEDED</td>
 *       <td>PreconditionFailure (OWNERSHIP) for UNAVAILABLE_GROUP</td></tr>
 *   <tr><td>{@link HotPlugException}</td><td>NO_SLOT: NOT_FOUND; WRONG_STATE:
 *       FAILED_PRECONDITION; BAD_CARD: INVALID_ARGUMENT</td>
 *       <td>PreconditionFailure (SLOT_STATE)</td></tr>
 *   <tr><td>{@link ResumeRejectedException}</td><td>UNKNOWN_HIERARCHY: NOT_FOUND;
 *       NEEDS_ONE_HIERARCHY, NOT_YET_PUBLISHED: FAILED_PRECONDITION</td>
 *       <td>PreconditionFailure (RESUME)</td></tr>
 *   <tr><td>other {@link IllegalArgumentException}</td><td>INVALID_ARGUMENT</td><td>-</td></tr>
 *   <tr><td>{@link RejectedExecutionException}</td><td>RESOURCE_EXHAUSTED</td><td>-</td></tr>
 *   <tr><td>{@link java.util.concurrent.CancellationException} (work cancelled because its
 *       call was)</td><td>CANCELLED</td><td>-</td></tr>
 *   <tr><td>anything else</td><td>INTERNAL, naming the exception; logged</td><td>-</td></tr>
 * </table>
 */
public final class Statuses {
  private static final Logger LOG = Logger.getLogger(Statuses.class.getName());

  private Statuses() {}

  /**
   * Longest status message sent. Messages quote client input (a name, a spec place); a huge
   * one must not make the trailers exceed what the client accepts (8 KiB by default).
   */
  static final int MAX_MESSAGE = 2000;

  static String clip(String message) {
    if (message == null || message.length() <= MAX_MESSAGE) {
      return message;
    }
    return message.substring(0, MAX_MESSAGE - 40) + "... (" + message.length()
        + " characters in all)";
  }

  /** The status {@code t} answers with. */
  public static StatusRuntimeException toStatus(Throwable t) {
    if ((t instanceof CompletionException || t instanceof ExecutionException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof StatusRuntimeException s) {
      return s;
    }
    if (t instanceof io.grpc.StatusException s) {
      return s.getStatus().asRuntimeException(s.getTrailers());
    }
    if (t instanceof RequestException r) {
      return r.code() == Status.Code.INVALID_ARGUMENT
          ? invalidArgument(r.field(), r.getMessage())
          : Status.fromCode(r.code()).withDescription(clip(r.getMessage())).asRuntimeException();
    }
    if (t instanceof ConfigAccessException c) {
      return invalidArgument(c.reason() == ConfigAccessException.Reason.BAD_WIDTH
          ? "width" : "offset", c.getMessage());
    }
    if (t instanceof TopologyException e) {
      return invalidArgument(e.place().isEmpty() ? "spec" : "spec." + e.place(),
          e.getMessage());
    }
    if (t instanceof FarmException f) {
      Status.Code code = switch (f.kind()) {
        case NOT_FOUND -> Status.Code.NOT_FOUND;
        case ALREADY_EXISTS -> Status.Code.ALREADY_EXISTS;
        case INVALID -> Status.Code.INVALID_ARGUMENT;
      };
      return code == Status.Code.INVALID_ARGUMENT ? invalidArgument("spec", f.getMessage())
          : Status.fromCode(code).withDescription(clip(f.getMessage())).asRuntimeException();
    }
    if (t instanceof ResetException r) {
      return switch (r.kind()) {
        case BAD_TARGET -> plain(Status.Code.NOT_FOUND, r.getMessage());
        case NO_METHOD -> precondition(r.getMessage(), "NO_METHOD", List.of(""));
        case ROOT_BUS -> precondition(r.getMessage(), "ROOT_BUS", List.of(""));
        case NOT_OWNER -> precondition(r.getMessage(), "OWNERSHIP", r.blocking());
        case BUSY -> retryable(Status.Code.ABORTED, r.getMessage(), BUSY_RETRY_DELAY);
        case DEADLINE_EXCEEDED -> plain(Status.Code.DEADLINE_EXCEEDED, r.getMessage());
      };
    }
    if (t instanceof LeaseException l) {
      return switch (l.kind()) {
        case NOT_FOUND -> plain(Status.Code.NOT_FOUND, l.getMessage());
        case UNAVAILABLE_GROUP -> precondition(l.getMessage(), "OWNERSHIP", l.blocking());
        case NOT_HOLDER -> plain(Status.Code.PERMISSION_DENIED, l.getMessage());
        case INVALID -> invalidArgument("", l.getMessage());
        case DEADLINE_EXCEEDED -> plain(Status.Code.DEADLINE_EXCEEDED, l.getMessage());
      };
    }
    if (t instanceof HotPlugException h) {
      return switch (h.kind()) {
        case NO_SLOT -> plain(Status.Code.NOT_FOUND, h.getMessage());
        case WRONG_STATE -> precondition(h.getMessage(), "SLOT_STATE", List.of(""));
        case BAD_CARD -> invalidArgument("model", h.getMessage());
      };
    }
    if (t instanceof ResumeRejectedException r) {
      return switch (r.reason()) {
        case UNKNOWN_HIERARCHY -> plain(Status.Code.NOT_FOUND, r.getMessage());
        case NEEDS_ONE_HIERARCHY, NOT_YET_PUBLISHED ->
            precondition(r.getMessage(), "RESUME", List.of(""));
      };
    }
    if (t instanceof ConfigRetryException) {
      return Status.UNAVAILABLE.withDescription(t.getMessage()).asRuntimeException();
    }
    if (t instanceof IllegalArgumentException) {
      return invalidArgument("", t.getMessage());
    }
    if (t instanceof java.util.concurrent.CancellationException) {
      return Status.CANCELLED.withDescription("cancelled: the call ended before the work did")
          .asRuntimeException();
    }
    if (t instanceof RejectedExecutionException) {
      return Status.RESOURCE_EXHAUSTED.withDescription(
          "the server is busy: its farm operation queue is full; retry later").asRuntimeException();
    }
    LOG.log(Level.WARNING, "internal error answering a call", t);
    return Status.INTERNAL.withDescription(clip("internal error: " + t)).withCause(t)
        .asRuntimeException();
  }

  /**
   * INVALID_ARGUMENT with {@code message}, and a google.rpc.BadRequest detail naming
   * {@code field} when there is one.
   */
  public static StatusRuntimeException invalidArgument(String field, String message) {
    com.google.rpc.Status.Builder s = com.google.rpc.Status.newBuilder()
        .setCode(Code.INVALID_ARGUMENT_VALUE).setMessage(message == null ? "" : clip(message));
    if (field != null && !field.isEmpty()) {
      s.addDetails(Any.pack(BadRequest.newBuilder().addFieldViolations(
          BadRequest.FieldViolation.newBuilder().setField(field).setDescription(s.getMessage()))
          .build()));
    }
    return StatusProto.toStatusRuntimeException(s.build());
  }

  /** The delay RetryInfo suggests after ABORTED for a busy scope (a reset in progress). */
  static final java.time.Duration BUSY_RETRY_DELAY = java.time.Duration.ofMillis(100);

  private static StatusRuntimeException plain(Status.Code code, String message) {
    return Status.fromCode(code).withDescription(clip(message)).asRuntimeException();
  }

  /**
   * FAILED_PRECONDITION with a google.rpc.PreconditionFailure holding one violation of
   * {@code type} per entry. Entries are the engine's "ADDRESS (who holds it)" texts: the subject
   * is the address, the description the whole entry. An empty entry is a violation without a
   * subject.
   */
  static StatusRuntimeException precondition(String message, String type, List<String> entries) {
    PreconditionFailure.Builder failure = PreconditionFailure.newBuilder();
    for (String entry : entries) {
      int paren = entry.indexOf(" (");
      failure.addViolations(PreconditionFailure.Violation.newBuilder().setType(type)
          .setSubject(paren < 0 ? entry : entry.substring(0, paren))
          .setDescription(entry.isEmpty() ? clip(message) : entry));
    }
    return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
        .setCode(Code.FAILED_PRECONDITION_VALUE).setMessage(clip(message))
        .addDetails(Any.pack(failure.build())).build());
  }

  /** {@code code} with a google.rpc.RetryInfo suggesting {@code delay}. */
  static StatusRuntimeException retryable(Status.Code code, String message,
      java.time.Duration delay) {
    return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
        .setCode(code.value()).setMessage(clip(message))
        .addDetails(Any.pack(RetryInfo.newBuilder().setRetryDelay(
            com.google.protobuf.Duration.newBuilder().setSeconds(delay.getSeconds())
                .setNanos(delay.getNano())).build())).build());
  }

  /** RESOURCE_EXHAUSTED with {@code message}. */
  public static StatusRuntimeException resourceExhausted(String message) {
    return Status.RESOURCE_EXHAUSTED.withDescription(clip(message)).asRuntimeException();
  }
}
