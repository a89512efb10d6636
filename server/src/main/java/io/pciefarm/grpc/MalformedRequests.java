package io.pciefarm.grpc;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import java.io.InputStream;

/**
 * Answers a request message that does not decode with INVALID_ARGUMENT. gRPC itself would close
 * such a call with UNKNOWN ("Application error processing RPC") and log it as SEVERE, so a client
 * sending garbage could neither tell what it did wrong nor be kept from filling the server's log.
 *
 * <p>Each method of a service is re-bound with a pass-through request marshaller; the real one
 * parses in the listener, where a failure can be answered properly. The service's schema
 * descriptors are kept, so reflection still describes it.
 */
final class MalformedRequests {
  private MalformedRequests() {}

  private static final MethodDescriptor.Marshaller<InputStream> RAW =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(InputStream value) {
          return value;
        }

        @Override
        public InputStream parse(InputStream stream) {
          // No copy: gRPC hands the parsed value to the listener's onMessage at once and closes
          // the stream only after it returns, and onMessage below parses it synchronously.
          return stream;
        }
      };

  static ServerServiceDefinition guard(ServerServiceDefinition service) {
    ServiceDescriptor original = service.getServiceDescriptor();
    ServiceDescriptor.Builder descriptor = ServiceDescriptor.newBuilder(original.getName())
        .setSchemaDescriptor(original.getSchemaDescriptor());
    java.util.List<ServerMethodDefinition<?, ?>> methods = new java.util.ArrayList<>();
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      ServerMethodDefinition<?, ?> guarded = guard(m);
      descriptor.addMethod(guarded.getMethodDescriptor());
      methods.add(guarded);
    }
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(descriptor.build());
    for (ServerMethodDefinition<?, ?> m : methods) {
      b.addMethod(m);
    }
    return b.build();
  }

  private static <Q, R> ServerMethodDefinition<InputStream, R> guard(
      ServerMethodDefinition<Q, R> m) {
    MethodDescriptor<Q, R> typed = m.getMethodDescriptor();
    MethodDescriptor<InputStream, R> raw = typed.toBuilder(RAW, typed.getResponseMarshaller())
        .build();
    return ServerMethodDefinition.create(raw, handler(typed, m.getServerCallHandler()));
  }

  private static <Q, R> ServerCallHandler<InputStream, R> handler(MethodDescriptor<Q, R> typed,
      ServerCallHandler<Q, R> inner) {
    return (call, headers) -> {
      ServerCall<Q, R> typedCall = new TypedCall<>(call, typed);
      ServerCall.Listener<Q> listener = inner.startCall(typedCall, headers);
      return new ServerCall.Listener<InputStream>() {
        private boolean rejected;

        @Override
        public void onMessage(InputStream message) {
          if (rejected) {
            return;
          }
          Q request;
          try {
            request = typed.parseRequest(message);
          } catch (RuntimeException e) {
            rejected = true;
            call.close(Status.INVALID_ARGUMENT.withDescription(Statuses.clip(
                "the request is not a valid " + typed.getFullMethodName() + " message: "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()))),
                new Metadata());
            return;
          }
          listener.onMessage(request);
        }

        @Override
        public void onHalfClose() {
          if (!rejected) {
            listener.onHalfClose();
          }
        }

        @Override
        public void onCancel() {
          listener.onCancel();
        }

        @Override
        public void onComplete() {
          listener.onComplete();
        }

        @Override
        public void onReady() {
          if (!rejected) {
            listener.onReady();
          }
        }
      };
    };
  }

  /** The raw call as its service's handler expects it: typed, with the typed descriptor. */
  private static final class TypedCall<Q, R> extends ForwardingServerCall<Q, R> {
    private final ServerCall<InputStream, R> raw;
    private final MethodDescriptor<Q, R> typed;

    TypedCall(ServerCall<InputStream, R> raw, MethodDescriptor<Q, R> typed) {
      this.raw = raw;
      this.typed = typed;
    }

    @Override
    @SuppressWarnings("unchecked")
    protected ServerCall<Q, R> delegate() {
      // Only getMethodDescriptor mentions the request type, and it is overridden below.
      return (ServerCall<Q, R>) (ServerCall<?, R>) raw;
    }

    @Override
    public MethodDescriptor<Q, R> getMethodDescriptor() {
      return typed;
    }
  }
}
