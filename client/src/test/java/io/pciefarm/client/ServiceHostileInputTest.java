package io.pciefarm.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.pciefarm.proto.v1.EventServiceGrpc;
import io.pciefarm.proto.v1.HotPlugServiceGrpc;
import io.pciefarm.proto.v1.ResetServiceGrpc;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Bytes that are not the request a reset, hot-plug or event method expects are
 * INVALID_ARGUMENT, as for the other services (MalformedRequests), unary and streaming alike.
 */
class ServiceHostileInputTest extends LiveServer {
  private static final byte[] GARBAGE = {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0x0a, 0x7f};

  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }
      };

  private Status.Code call(MethodDescriptor<?, ?> method, byte[] request) {
    MethodDescriptor<byte[], byte[]> m = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(method.getType()).setFullMethodName(method.getFullMethodName())
        .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
    ClientCall<byte[], byte[]> c = tcp.channel().newCall(m, CallOptions.DEFAULT
        .withDeadlineAfter(30, TimeUnit.SECONDS));
    try {
      if (method.getType() == MethodDescriptor.MethodType.UNARY) {
        ClientCalls.blockingUnaryCall(c, request);
      } else {
        Iterator<byte[]> it = ClientCalls.blockingServerStreamingCall(c, request);
        it.hasNext();
      }
      return Status.Code.OK;
    } catch (StatusRuntimeException e) {
      return e.getStatus().getCode();
    }
  }

  @Test
  void undecodableRequestsAreInvalidArguments() {
    for (MethodDescriptor<?, ?> m : List.of(ResetServiceGrpc.getResetMethod(),
        ResetServiceGrpc.getProbeResetMethod(), ResetServiceGrpc.getSetResetMethodsMethod(),
        HotPlugServiceGrpc.getInsertMethod(), HotPlugServiceGrpc.getListSlotsMethod(),
        EventServiceGrpc.getSubscribeMethod())) {
      assertEquals(Status.Code.INVALID_ARGUMENT, call(m, GARBAGE), m.getFullMethodName());
    }
  }
}
