/**
 * The gRPC server: {@link io.pciefarm.grpc.PcieFarmServer} (Netty listeners, limits, health,
 * reflection, graceful shutdown), the service implementations on the engine, and the one place
 * where engine exceptions become gRPC statuses ({@link io.pciefarm.grpc.Statuses}).
 *
 * <h2>Threading</h2>
 * Every call starts on the Netty event loop of its connection (the server uses a direct
 * executor). Config access stays there: it is lock-free and never blocks, so a hop to a thread
 * pool would only add latency. Farm operations (building a hierarchy, computing isolation groups
 * for a topology) can take long, so {@link io.pciefarm.grpc.FarmServiceImpl} hands them to a
 * small bounded worker pool and answers from there; an event loop never waits for one.
 */
package io.pciefarm.grpc;
