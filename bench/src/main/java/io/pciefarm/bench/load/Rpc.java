package io.pciefarm.bench.load;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.TimeUnit;

/** Asynchronous unary calls with a deadline and one callback for either outcome. */
final class Rpc {
  private Rpc() {}

  /** Called once with the response (status OK) or with the failure (response null). */
  @FunctionalInterface
  interface Outcome<T> {
    void accept(T response, Status status);
  }

  static <Q, R> void unary(Channel channel, MethodDescriptor<Q, R> method, Q request,
      long deadlineMs, Outcome<R> outcome) {
    ClientCalls.asyncUnaryCall(
        channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(deadlineMs,
            TimeUnit.MILLISECONDS)),
        request, new StreamObserver<R>() {
          private R response;

          @Override
          public void onNext(R value) {
            response = value;
          }

          @Override
          public void onError(Throwable t) {
            outcome.accept(null, Status.fromThrowable(t));
          }

          @Override
          public void onCompleted() {
            outcome.accept(response, Status.OK);
          }
        });
  }
}
