package io.pciefarm.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
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
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

/** The one exception-to-status mapping, kind by kind, with its details. */
class StatusesTest {
  private static Status.Code code(Throwable t) {
    return Statuses.toStatus(t).getStatus().getCode();
  }

  private static <T extends com.google.protobuf.Message> T detail(StatusRuntimeException e,
      Class<T> type) throws Exception {
    for (Any any : StatusProto.fromThrowable(e).getDetailsList()) {
      if (any.is(type)) {
        return any.unpack(type);
      }
    }
    throw new AssertionError("no " + type.getSimpleName() + " in " + e);
  }

  @Test
  void engineExceptionsMapToTheDocumentedCodes() {
    assertEquals(Status.Code.INVALID_ARGUMENT, code(new ConfigAccessException(
        ConfigAccessException.Reason.MISALIGNED, "m")));
    assertEquals(Status.Code.NOT_FOUND, code(new FarmException(FarmException.Kind.NOT_FOUND, "m")));
    assertEquals(Status.Code.ALREADY_EXISTS,
        code(new FarmException(FarmException.Kind.ALREADY_EXISTS, "m")));
    assertEquals(Status.Code.INVALID_ARGUMENT,
        code(new FarmException(FarmException.Kind.INVALID, "m")));
    assertEquals(Status.Code.UNAVAILABLE, code(ConfigRetryException.INSTANCE));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, code(new RejectedExecutionException()));
    assertEquals(Status.Code.CANCELLED, code(new CompletionException(
        new java.util.concurrent.CancellationException())));
    assertEquals(Status.Code.INTERNAL, code(new IllegalStateException("bug")));
    assertEquals(Status.Code.NOT_FOUND, code(new CompletionException(
        new FarmException(FarmException.Kind.NOT_FOUND, "m"))));

    assertEquals(Status.Code.NOT_FOUND, code(new ResetException(ResetException.Kind.BAD_TARGET,
        "no function answers at 0000:05:00.0")));
    assertEquals(Status.Code.FAILED_PRECONDITION,
        code(new ResetException(ResetException.Kind.NO_METHOD, "m")));
    assertEquals(Status.Code.FAILED_PRECONDITION,
        code(new ResetException(ResetException.Kind.ROOT_BUS, "m")));
    assertEquals(Status.Code.DEADLINE_EXCEEDED,
        code(new ResetException(ResetException.Kind.DEADLINE_EXCEEDED, "m")));
    assertEquals(Status.Code.NOT_FOUND, code(new LeaseException(LeaseException.Kind.NOT_FOUND,
        "m")));
    assertEquals(Status.Code.PERMISSION_DENIED,
        code(new LeaseException(LeaseException.Kind.NOT_HOLDER, "m")));
    assertEquals(Status.Code.INVALID_ARGUMENT,
        code(new LeaseException(LeaseException.Kind.INVALID, "m")));
    assertEquals(Status.Code.DEADLINE_EXCEEDED,
        code(new LeaseException(LeaseException.Kind.DEADLINE_EXCEEDED, "m")));
    assertEquals(Status.Code.NOT_FOUND, code(new HotPlugException(HotPlugException.Kind.NO_SLOT,
        "m")));
    assertEquals(Status.Code.FAILED_PRECONDITION,
        code(new HotPlugException(HotPlugException.Kind.WRONG_STATE, "m")));
    assertEquals(Status.Code.INVALID_ARGUMENT,
        code(new HotPlugException(HotPlugException.Kind.BAD_CARD, "m")));
  }

  @Test
  void ownershipRefusalsListEveryBlockingFunction() throws Exception {
    StatusRuntimeException e = Statuses.toStatus(new ResetException(
        ResetException.Kind.NOT_OWNER, "a bus reset of 0001:02 would reset functions you do"
        + " not own", List.of("0001:03:00.0 (lease 1f2e (tenant-b))",
            "0001:04:00.0 (stays with the host)")));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    PreconditionFailure f = detail(e, PreconditionFailure.class);
    assertEquals(List.of("0001:03:00.0", "0001:04:00.0"),
        f.getViolationsList().stream().map(PreconditionFailure.Violation::getSubject).toList());
    assertTrue(f.getViolationsList().stream().allMatch(v -> v.getType().equals("OWNERSHIP")));
    assertEquals("0001:04:00.0 (stays with the host)", f.getViolations(1).getDescription());

    StatusRuntimeException lease = Statuses.toStatus(new LeaseException(
        LeaseException.Kind.UNAVAILABLE_GROUP, "cannot lease", List.of("0000:01:00.0 (x)")));
    assertEquals("0000:01:00.0", detail(lease, PreconditionFailure.class).getViolations(0)
        .getSubject());
  }

  @Test
  void busyIsAbortedWithARetryHint() throws Exception {
    StatusRuntimeException e = Statuses.toStatus(new ResetException(ResetException.Kind.BUSY,
        "an overlapping reset is in progress"));
    assertEquals(Status.Code.ABORTED, e.getStatus().getCode());
    RetryInfo r = detail(e, RetryInfo.class);
    assertEquals(Statuses.BUSY_RETRY_DELAY.toNanos(),
        r.getRetryDelay().getSeconds() * 1_000_000_000L + r.getRetryDelay().getNanos());
  }

  @Test
  void invalidArgumentsNameTheField() throws Exception {
    StatusRuntimeException e = Statuses.toStatus(new TopologyException(
        TopologyException.Kind.UNKNOWN_MODEL, "devices[0]", "unknown model 'x'"));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals("spec.devices[0]", detail(e, BadRequest.class).getFieldViolations(0).getField());
    assertEquals("width", detail(Statuses.toStatus(new ConfigAccessException(
        ConfigAccessException.Reason.BAD_WIDTH, "w")), BadRequest.class).getFieldViolations(0)
        .getField());
  }

  @Test
  void rejectedResumesAreNotFoundOrFailedPrecondition() throws Exception {
    assertEquals(Status.Code.NOT_FOUND, code(new ResumeRejectedException(
        ResumeRejectedException.Reason.UNKNOWN_HIERARCHY, "m")));
    StatusRuntimeException needsOne = Statuses.toStatus(new ResumeRejectedException(
        ResumeRejectedException.Reason.NEEDS_ONE_HIERARCHY, "m"));
    assertEquals(Status.Code.FAILED_PRECONDITION, needsOne.getStatus().getCode());
    assertEquals("RESUME", detail(needsOne, PreconditionFailure.class).getViolations(0)
        .getType());
    assertEquals(Status.Code.FAILED_PRECONDITION, code(new ResumeRejectedException(
        ResumeRejectedException.Reason.NOT_YET_PUBLISHED, "m")));
  }

  @Test
  void longMessagesAreClipped() {
    StatusRuntimeException e = Statuses.toStatus(new FarmException(FarmException.Kind.NOT_FOUND,
        "x".repeat(100_000)));
    assertTrue(e.getStatus().getDescription().length() <= Statuses.MAX_MESSAGE);
    assertTrue(e.getStatus().getDescription().contains("100000 characters"));
  }
}
