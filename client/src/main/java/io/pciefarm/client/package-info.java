/**
 * The Java client library: {@link io.pciefarm.client.PcieFarmClient} connects to a pciefarm
 * server over TCP or a Unix domain socket and hands out typed handles for hierarchies
 * ({@link io.pciefarm.client.HierarchyHandle}) and functions
 * ({@link io.pciefarm.client.FunctionHandle}), and batch streams
 * ({@link io.pciefarm.client.ConfigStream}) for throughput.
 *
 * <p>Failures surface as {@link io.pciefarm.client.PcieFarmException} carrying the gRPC status
 * code and the server's message. Idempotent calls (config reads, farm listings) are retried on
 * UNAVAILABLE by gRPC's retry policy; anything that changes state never is.
 */
package io.pciefarm.client;
