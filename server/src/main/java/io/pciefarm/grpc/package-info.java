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
 * small bounded worker pool and answers from there; an event loop never waits for one. Reset and
 * hot-plug calls run there too ({@link io.pciefarm.grpc.Calls}); a reset is answered from the
 * completion of the engine's future, so no thread waits for one either. Event streams drain on
 * a small delivery pool, one serialized drain per stream, paced by HTTP/2 flow control
 * ({@link io.pciefarm.grpc.EventServiceImpl}).
 */
package io.pciefarm.grpc;
