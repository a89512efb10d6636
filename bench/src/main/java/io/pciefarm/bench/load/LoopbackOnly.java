package io.pciefarm.bench.load;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * A load generator sends traffic only to this machine: {@code --server} must name a loopback
 * address (127.0.0.0/8, ::1, localhost). Anything else is refused before a connection is made.
 */
final class LoopbackOnly {
  private LoopbackOnly() {}

  /** @throws IllegalArgumentException unless {@code hostPort} is HOST:PORT on loopback */
  static void check(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon <= 0 || colon == hostPort.length() - 1) {
      throw new IllegalArgumentException("--server takes HOST:PORT, not '" + hostPort + "'");
    }
    String host = hostPort.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(hostPort.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--server port is not a number: '" + hostPort + "'");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("--server port " + port + " is outside 1..65535");
    }
    try {
      for (InetAddress a : InetAddress.getAllByName(host)) {
        if (!a.isLoopbackAddress()) {
          throw new IllegalArgumentException("--server " + hostPort + " resolves to "
              + a.getHostAddress() + ", which is not a loopback address: the load generator"
              + " only drives servers on this machine");
        }
      }
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException("--server host '" + host + "' is unknown");
    }
  }

  static String host(String hostPort) {
    String host = hostPort.substring(0, hostPort.lastIndexOf(':'));
    return host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
  }

  static int port(String hostPort) {
    return Integer.parseInt(hostPort.substring(hostPort.lastIndexOf(':') + 1));
  }
}
