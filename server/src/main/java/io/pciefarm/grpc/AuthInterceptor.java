package io.pciefarm.grpc;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Set;

/**
 * Bearer-token authentication: {@code authorization: Bearer TOKEN} is looked up in the server's
 * {@link TokenTable} and the {@link Caller} it names is put in the call's {@link Context}
 * ({@link Caller#KEY}) for the handlers. A missing, malformed or unknown token ends the call
 * with UNAUTHENTICATED before any handler runs.
 *
 * <p>Health and reflection stay open: load balancers and grpcurl must work without a token.
 * Every other service, including ones added later, needs one.
 */
final class AuthInterceptor implements ServerInterceptor {
  static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  /** Services answered without credentials. */
  static final Set<String> OPEN = Set.of(
      "grpc.health.v1.Health",
      "grpc.reflection.v1.ServerReflection",
      "grpc.reflection.v1alpha.ServerReflection");

  private static final String BEARER = "Bearer ";

  private final TokenTable tokens;

  AuthInterceptor(TokenTable tokens) {
    this.tokens = tokens;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
      ServerCallHandler<Q, R> next) {
    if (OPEN.contains(call.getMethodDescriptor().getServiceName())) {
      return next.startCall(call, headers);
    }
    String header = headers.get(AUTHORIZATION);
    if (header == null) {
      return refuse(call, "missing credentials: this server needs the metadata"
          + " 'authorization: Bearer TOKEN' (pciefarm: --token or PCIEFARM_TOKEN)");
    }
    if (header.length() <= BEARER.length()
        || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return refuse(call, "malformed credentials: expected 'authorization: Bearer TOKEN'");
    }
    Caller caller = tokens.lookup(header.substring(BEARER.length()).strip());
    if (caller == null) {
      return refuse(call, "unknown token: it is not in this server's token table");
    }
    return Contexts.interceptCall(Context.current().withValue(Caller.KEY, caller), call,
        headers, next);
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, String why) {
    call.close(Status.UNAUTHENTICATED.withDescription(why), new Metadata());
    return new ServerCall.Listener<>() {};
  }
}
